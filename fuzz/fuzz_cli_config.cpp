// The CLI's argument parsing (args.cpp, the strict number parser) and the text of config files:
// the client config (read_client_config_text: no file is read) and strict JSON with its
// duplicate-key check (what the simulator config goes through first).
// Input: one selector byte, then argv split at NUL bytes, or the config text.
#include "cli/args.hpp"
#include "cli/common.hpp"
#include "core/config_text.hpp"
#include "core/json_strict.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using wechatpay::cli::option;

constexpr std::array options{
    option{"config", "FILE", "a file", true},
    option{"certificate", "FILE", "repeatable", false, true},
    option{"max-seconds", "N", "a number"},
    option{"force", "", "a flag"},
};

int run(const wechatpay::cli::args&) { return 0; }

const wechatpay::cli::command command{"fuzz", "summary", "fuzz --config FILE", "description", options, 1, run};

void parse_args(std::string_view data) {
    std::vector<std::string_view> argv;
    for (std::size_t start = 0; start <= data.size();) {
        const auto nul = data.find('\0', start);
        const auto end = nul == std::string_view::npos ? data.size() : nul;
        argv.push_back(data.substr(start, end - start));
        start = end + 1;
    }
    try {
        const auto a = wechatpay::cli::args::parse(command, argv);
        if (const auto n = a.find("max-seconds")) (void)wechatpay::cli::parse_integer(*n, "max-seconds", 1, 31536000);
        (void)a.all("certificate");
        (void)wechatpay::cli::help_text(command);
    } catch (const wechatpay::cli::cli_error& e) {
        // The only way a usage error ends: a message, never a secret value or a raw control byte
        // from the command line other than what excerpt() escapes.
        if (std::string_view(e.what()).find('\n') != std::string_view::npos) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
    case 0: parse_args(rest); break;
    case 1: {
        wechatpay::client_config cfg;
        wechatpay::key_sources keys;
        (void)wechatpay::read_client_config_text(rest, "/fuzz/config.json", cfg, keys);
        break;
    }
    default: (void)wechatpay::parse_json_strict(rest); break;
    }
    return 0;
}
