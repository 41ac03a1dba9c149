#include "secrets_watch.hpp"

#include "embedded_keys.hpp"
#include "vectors.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <vector>

namespace wechatpay_test::secrets {

namespace {

constexpr std::size_t run = 24;  // shorter base64 runs could occur by chance in random nonces

class watch_list {
public:
    watch_list() {
        // The keys every test binary may touch: embedded ones, the vectors', the test APIv3 key.
        for (auto pem : {embedded::rsa1024_pkcs8, embedded::rsa1024_pkcs1, embedded::ec_p256_sec1,
                         embedded::ec_p256_pkcs8, embedded::ed25519_pkcs8})
            add_pem(pem);
        std::error_code ec;
        for (const auto& f : std::filesystem::recursive_directory_iterator(WECHATPAY_VECTORS_DIR, ec)) {
            if (f.path().extension() != ".pem") continue;
            std::ifstream in(f.path());
            const std::string text((std::istreambuf_iterator<char>(in)), {});
            if (text.find("PRIVATE KEY-----") != std::string::npos) add_pem(text);
        }
        add(test_apiv3_key);
    }

    ~watch_list() {
        // At exit, after the test run: a leak fails the binary whatever Catch decided.
        if (leaks_.empty()) {
            std::fprintf(stderr, "secrets watch: %zu diagnostics inspected, none contained a secret\n", inspected_);
            return;
        }
        std::fprintf(stderr, "secrets watch: %zu diagnostic(s) of %zu contained a secret:\n", leaks_.size(), inspected_);
        for (const auto& l : leaks_) std::fprintf(stderr, "  %s\n", l.c_str());
        std::fflush(stderr);
        std::_Exit(3);
    }

    void add_pem(std::string_view pem) {
        std::string body;
        std::size_t pos = 0;
        while (pos < pem.size()) {
            auto end = pem.find('\n', pos);
            if (end == std::string_view::npos) end = pem.size();
            const auto line = pem.substr(pos, end - pos);
            if (!line.starts_with("-----") && line.find(':') == std::string_view::npos) body += line;
            pos = end + 1;
        }
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i + run <= body.size(); i += run / 2) secrets_.insert(body.substr(i, run));
    }

    void add(std::string_view raw) {
        std::lock_guard lock(mutex_);
        if (!raw.empty()) secrets_.insert(std::string(raw));
    }

    void inspect(std::string_view where, std::string_view text) {
        std::lock_guard lock(mutex_);
        ++inspected_;
        if (contains(text)) leaks_.push_back(std::string(where) + ": " + std::string(text.substr(0, 200)));
    }

    bool contains(std::string_view text) const {
        for (const auto& s : secrets_)
            if (text.find(s) != std::string_view::npos) return true;
        return false;
    }

    bool check(std::string_view text) {
        std::lock_guard lock(mutex_);
        return contains(text);
    }

private:
    std::mutex mutex_;
    std::set<std::string> secrets_;
    std::vector<std::string> leaks_;
    std::size_t inspected_ = 0;
};

watch_list& list() {
    static watch_list w;
    return w;
}

}  // namespace

void watch_pem(std::string_view pem) { list().add_pem(pem); }
void watch(std::string_view raw) { list().add(raw); }
void inspect(std::string_view where, std::string_view text) { list().inspect(where, text); }
bool contains_secret(std::string_view text) { return list().check(text); }

}  // namespace wechatpay_test::secrets
