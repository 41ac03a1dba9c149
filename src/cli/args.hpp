// A small command-line parser: each verb declares its options; the parser checks the command
// line against them and renders the verb's --help from the same table.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wechatpay::cli {

// An option takes a value ("--name VALUE" or "--name=VALUE"), or is a flag ("--name") when its
// placeholder is empty; --help is implicit.
struct option {
    std::string_view name;   // without the leading "--"
    std::string_view value;  // placeholder shown in help: FILE, ID, B64…; empty: a flag
    std::string_view help;
    bool required = false;
    bool repeatable = false;
};

class args;

struct command {
    std::string_view name;
    std::string_view summary;      // one line, for the top-level list
    std::string_view synopsis;     // usage lines after "wechatpay "
    std::string_view description;  // what it prints, how it fails
    std::span<const option> options;
    std::size_t positionals = 0;  // positional arguments the verb expects (exactly)
    int (*run)(const args&);
};

class args {
public:
    // Throws usage_error for an unknown or repeated option, a missing value, a wrong number of
    // positional arguments or (unless --help was given) a missing required option.
    static args parse(const command& cmd, std::span<const std::string_view> argv);

    bool help() const noexcept { return help_; }
    bool has(std::string_view name) const noexcept;
    // The option's value; usage_error when it is absent.
    const std::string& get(std::string_view name) const;
    std::optional<std::string> find(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
    const std::vector<std::string>& positionals() const noexcept { return positionals_; }

    // Usage error unless exactly one of the two options was given.
    void require_one_of(std::string_view a, std::string_view b) const;
    // Usage error unless both or neither were given.
    void require_together(std::string_view a, std::string_view b) const;
    // Usage error if the option was given (it does not fit the form chosen).
    void forbid(std::string_view name, std::string_view reason) const;

private:
    explicit args(const command& cmd) : cmd_(&cmd) {}

    const command* cmd_;
    std::vector<std::pair<std::string, std::string>> values_;
    std::vector<std::string> positionals_;
    bool help_ = false;
};

// The verb's help text: usage, description, options.
std::string help_text(const command& cmd);

}  // namespace wechatpay::cli
