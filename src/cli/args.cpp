#include "args.hpp"

#include "common.hpp"

#include <wechatpay/error.hpp>

#include <algorithm>

namespace wechatpay::cli {
namespace {

const option* find_option(const command& cmd, std::string_view name) {
    const auto it = std::ranges::find(cmd.options, name, &option::name);
    return it == cmd.options.end() ? nullptr : &*it;
}

std::string see_help(const command& cmd) {
    return " (see: wechatpay " + std::string(cmd.name) + " --help)";
}

}  // namespace

args args::parse(const command& cmd, std::span<const std::string_view> argv) {
    args a(cmd);
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            a.help_ = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            // "-" alone is not an option, but no verb takes it as a positional either.
            a.positionals_.emplace_back(arg);
            continue;
        }
        // Only the name is ever echoed: the text after '=' may be a secret.
        const auto eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? eq : eq - 2);
        const option* opt = find_option(cmd, name);
        if (!opt)
            // Caller text: quoted and cut (a line break in it must not forge another line).
            usage_error(std::string(cmd.name) + ": unknown option " + wechatpay::excerpt("--" + std::string(name), 64) +
                        see_help(cmd));
        std::string_view value;
        if (opt->value.empty()) {
            // A flag: present or not.
            if (eq != std::string_view::npos)
                usage_error(std::string(cmd.name) + ": option --" + std::string(name) + " takes no value");
        } else if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < argv.size() && !argv[i + 1].starts_with("--")) {
            // A following "--x" is taken as a forgotten value; "--name=--x" still passes one.
            value = argv[++i];
        } else {
            usage_error(std::string(cmd.name) + ": option --" + std::string(name) + " needs a " +
                        std::string(opt->value));
        }
        if (!opt->repeatable && a.has(name))
            usage_error(std::string(cmd.name) + ": option --" + std::string(name) +
                        " given more than once");
        a.values_.emplace_back(name, value);
    }
    if (a.help_) return a;

    if (a.positionals_.size() != cmd.positionals) {
        // Positional text is not echoed either: it may be a misplaced key.
        usage_error(std::string(cmd.name) + ": expected " + std::to_string(cmd.positionals) +
                    " argument(s) besides options, got " + std::to_string(a.positionals_.size()) +
                    see_help(cmd));
    }
    for (const option& opt : cmd.options) {
        if (opt.required && !a.has(opt.name))
            usage_error(std::string(cmd.name) + ": missing required option --" +
                        std::string(opt.name) + see_help(cmd));
    }
    return a;
}

bool args::has(std::string_view name) const noexcept {
    return std::ranges::any_of(values_, [&](const auto& v) { return v.first == name; });
}

const std::string& args::get(std::string_view name) const {
    const auto it = std::ranges::find(values_, name, &std::pair<std::string, std::string>::first);
    if (it == values_.end())
        usage_error(std::string(cmd_->name) + ": missing option --" + std::string(name) +
                    see_help(*cmd_));
    return it->second;
}

std::optional<std::string> args::find(std::string_view name) const {
    if (!has(name)) return std::nullopt;
    return get(name);
}

std::vector<std::string> args::all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : values_)
        if (n == name) out.push_back(v);
    return out;
}

void args::require_one_of(std::string_view a, std::string_view b) const {
    if (has(a) == has(b))
        usage_error(std::string(cmd_->name) + ": give exactly one of --" + std::string(a) +
                    " and --" + std::string(b) + see_help(*cmd_));
}

void args::require_together(std::string_view a, std::string_view b) const {
    if (has(a) != has(b))
        usage_error(std::string(cmd_->name) + ": --" + std::string(a) + " and --" +
                    std::string(b) + " go together" + see_help(*cmd_));
}

void args::forbid(std::string_view name, std::string_view reason) const {
    if (has(name))
        usage_error(std::string(cmd_->name) + ": --" + std::string(name) + " " +
                    std::string(reason) + see_help(*cmd_));
}

std::string help_text(const command& cmd) {
    std::string out = "usage: ";
    // Each synopsis line is a form of the verb, or continues the one above.
    std::string_view rest = cmd.synopsis;
    for (bool first = true; !rest.empty(); first = false) {
        const auto nl = rest.find('\n');
        // A line that starts with a space continues the form above it.
        out += first ? "wechatpay " : rest.starts_with(' ') ? "       " : "       wechatpay ";
        out += rest.substr(0, nl);
        out += '\n';
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
    out += '\n';
    out += cmd.description;
    out += "\n\noptions:\n";

    std::size_t width = std::string_view("--help").size();
    for (const option& opt : cmd.options)
        width = std::max(width, opt.name.size() + opt.value.size() + 3);
    auto row = [&](std::string left, std::string_view help) {
        left.resize(width, ' ');
        out += "  " + left + "  " + std::string(help) + '\n';
    };
    for (const option& opt : cmd.options) {
        std::string help(opt.help);
        if (opt.repeatable) help += " (repeatable)";
        row("--" + std::string(opt.name) + (opt.value.empty() ? "" : " ") + std::string(opt.value), help);
    }
    row("--help", "show this help");
    return out;
}

}  // namespace wechatpay::cli
