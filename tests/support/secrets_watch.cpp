#include "secrets_watch.hpp"

#include "embedded_keys.hpp"
#include "vectors.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <deque>
#include <unordered_set>
#include <vector>

namespace wechatpay_test::secrets {

namespace {

constexpr std::size_t run = 24;  // shorter base64 runs could occur by chance (nonces, signatures)

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
        const std::string_view kept = bodies_.emplace_back(std::move(body));
        for (std::size_t i = 0; i + run <= kept.size(); ++i) windows_.insert(kept.substr(i, run));
    }

    void add(std::string_view raw) {
        std::lock_guard lock(mutex_);
        if (!raw.empty()) raw_.emplace_back(raw);
    }

    void add_phone(std::string_view digits) {
        std::lock_guard lock(mutex_);
        if (!digits.empty()) phones_.emplace_back(digits);
    }

    void inspect(std::string_view where, std::string_view text) {
        std::lock_guard lock(mutex_);
        ++inspected_;
        std::string masked(text);
        if (mask(masked)) leaks_.push_back(std::string(where) + ": " + masked.substr(0, 200));
    }

    bool check(std::string_view text) {
        std::lock_guard lock(mutex_);
        std::string masked(text);
        return mask(masked);
    }

private:
    // Stars out every secret in `text` (so that a report does not repeat it); true if any.
    bool mask(std::string& text) const {
        const std::string original = text;
        bool found = false;
        for (std::size_t i = 0; i + run <= original.size(); ++i)
            if (windows_.count(std::string_view(original).substr(i, run))) {
                text.replace(i, run, run, '*');
                found = true;
            }
        for (const auto& r : raw_)
            for (auto at = original.find(r); at != std::string::npos; at = original.find(r, at + 1)) {
                text.replace(at, r.size(), r.size(), '*');
                found = true;
            }
        // Phone numbers however they are written: the digits in order, with spaces, dashes,
        // dots or brackets between them ("138 0013 8001", "+86-138-0013-8001").
        std::string digits;
        std::vector<std::size_t> at;  // where each digit is in `original`
        for (std::size_t i = 0; i < original.size(); ++i) {
            const char c = original[i];
            if (c >= '0' && c <= '9') {
                digits += c;
                at.push_back(i);
            } else if (std::string_view(" -.()").find(c) == std::string_view::npos) {
                digits += '|';  // anything else breaks a number
                at.push_back(i);
            }
        }
        for (const auto& p : phones_)
            for (auto hit = digits.find(p); hit != std::string::npos; hit = digits.find(p, hit + 1)) {
                for (std::size_t k = hit; k < hit + p.size(); ++k) text[at[k]] = '*';
                found = true;
            }
        return found;
    }

    std::mutex mutex_;
    std::deque<std::string> bodies_;                  // stable storage for the windows' views
    std::unordered_set<std::string_view> windows_;    // every 24-character run of every key body
    std::vector<std::string> raw_;                    // APIv3 keys
    std::vector<std::string> phones_;                 // personal data: digits only
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
void watch_phone(std::string_view digits) { list().add_phone(digits); }
void inspect(std::string_view where, std::string_view text) { list().inspect(where, text); }
bool contains_secret(std::string_view text) { return list().check(text); }

}  // namespace wechatpay_test::secrets
