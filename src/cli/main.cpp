// wechatpay: WeChat Pay API v3 signatures, verification and encryption from the shell.
#include "args.hpp"
#include "commands.hpp"
#include "common.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay::cli {
namespace {

constexpr std::array commands{
    &sign_command,    &verify_command,       &notify_command,       &decrypt_command,
    &encrypt_command, &oaep_encrypt_command, &oaep_decrypt_command, &pay_params_command,
    &serial_command,  &sim_command,          &request_command,      &certificates_command,
    &bill_command,    &complaints_list_command, &complaints_show_command, &complaints_respond_command,
    &complaints_complete_command, &transfer_command,
};

std::string top_help() {
    std::string out =
        "usage: wechatpay COMMAND [OPTIONS]\n"
        "       wechatpay COMMAND --help\n"
        "\n"
        "WeChat Pay API v3 from the shell: sign requests and payment parameters, verify\n"
        "answers and notifications, AES-GCM and RSA-OAEP encryption, signed requests to\n"
        "WeChat Pay, and a local simulator of it.\n"
        "\n"
        "commands:\n";
    for (const command* cmd : commands) {
        std::string name(cmd->name);
        name.resize(std::max<std::size_t>(name.size() + 1, 14), ' ');
        out += "  " + name + std::string(cmd->summary) + '\n';
    }
    out +=
        "\n"
        "Exit status: 0 success; 1 verification or decryption failed; 2 usage error (unknown or\n"
        "missing option, unreadable file, unusable key).\n"
        "Command lines are visible to other users: prefer --apiv3-key-file to --apiv3-key.\n";
    return out;
}

// The verb's words: "complaints list" takes two, every other verb one.
std::size_t verb_words(std::span<const std::string_view> argv) {
    return argv.size() > 1 && argv[0] == "complaints" && !argv[1].starts_with("-") ? 2 : 1;
}

std::string verb_of(std::span<const std::string_view> argv) {
    std::string verb(argv[0]);
    if (verb_words(argv) == 2) verb += " " + std::string(argv[1]);
    return verb;
}

const command& find_command(std::string_view name) {
    const auto it = std::ranges::find(commands, name, &command::name);
    if (it == commands.end())
        usage_error("unknown command " + excerpt(name) + " (see: wechatpay --help)");
    return **it;
}

int run(std::span<const std::string_view> argv) {
    if (argv.empty()) {
        std::fputs(top_help().c_str(), stderr);
        return exit_usage;
    }
    const std::string_view verb = argv.front();
    if (verb == "--help" || verb == "-h" || verb == "help") {
        // "wechatpay help sign" is "wechatpay sign --help".
        if (argv.size() > 1) {
            print(help_text(find_command(verb_of(argv.subspan(1)))));
        } else {
            print(top_help());
        }
        return exit_ok;
    }
    if (verb == "--version") {
        print_line("wechatpay " WECHATPAY_VERSION);
        return exit_ok;
    }
    const command& cmd = find_command(verb_of(argv));
    const args a = args::parse(cmd, argv.subspan(verb_words(argv)));
    if (a.help()) {
        print(help_text(cmd));
        return exit_ok;
    }
    return cmd.run(a);
}

}  // namespace
}  // namespace wechatpay::cli

int main(int argc, char** argv) {
    using namespace wechatpay::cli;
    const std::vector<std::string_view> arguments(argv + 1, argv + argc);
    int status;
    try {
        status = run(arguments);
    } catch (const cli_error& e) {
        std::fprintf(stderr, "wechatpay: %s\n", e.what());
        return e.status();
    } catch (const std::exception& e) {
        // Not a verdict on a signature: report it as "could not run".
        std::fprintf(stderr, "wechatpay: unexpected error: %s\n", e.what());
        return exit_usage;
    }
    if (std::fflush(stdout) != 0) {
        std::fprintf(stderr, "wechatpay: cannot write output: %s\n", std::strerror(errno));
        return exit_usage;
    }
    return status;
}
