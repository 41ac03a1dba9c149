// The first half of load_client_config: the config file's text into settings and the names of
// the key files it gives, without reading any file (the fuzz target drives it).
#pragma once

#include <wechatpay/config.hpp>
#include <wechatpay/crypto.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

// The files and secrets the JSON names, before they are loaded.
struct key_sources {
    std::filesystem::path private_key, certificate, public_key_file;
    std::string public_key_id;
    std::vector<std::filesystem::path> platform_certificates;
    std::string apiv3;
    bool has_public_key = false;
    ~key_sources() { secure_wipe(apiv3); }
};

// Refuses what load_client_config refuses in the text itself: not JSON, a duplicated or unknown
// key, a value of the wrong type or out of range. `file` only names the text in errors.
result<void> read_client_config_text(std::string_view text, const std::filesystem::path& file, client_config& cfg,
                                     key_sources& keys);

}  // namespace wechatpay
