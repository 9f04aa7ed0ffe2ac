// SplitArgs: splits one line typed at the `walkv cli` prompt into words, with the quoting rules of
// redis-cli (a port of Redis' sdssplitargs):
//  - words are separated by spaces, tabs, \r or \n; quotes may start in the middle of a word
//    (a"b c" is one word: ab c);
//  - "double quotes" understand \n \r \t \b \a, \xHH (two hex digits) and \<any char> for that
//    char (so \\ and \");
//  - 'single quotes' understand only \' ;
//  - a closing quote must be followed by a blank or the end of the line.
// Returns std::nullopt for unbalanced quotes or a closing quote followed by something else.
// Never reads outside `line`; the words may contain any byte, including NUL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace walkv::cli {

std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

}  // namespace walkv::cli
