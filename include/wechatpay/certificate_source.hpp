// Where a client in certificate-download mode gets WeChat Pay's signed /v3/certificates answer:
// from WeChat itself (the default), or from a store that several instances of a merchant's
// servers share, so that one of them downloads per rotation for all (WeChat rate-limits that
// endpoint). The answer travels raw — the signature headers and the body they cover — so that
// every instance checks and decrypts it itself: a shared copy is never trusted as such.
//
// Asynchronous, so that a store a network away (Redis) never blocks an io thread: async_fetch
// completes its handler once, from any thread, inline or later.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <functional>
#include <string>

namespace wechatpay {

// A 200 answer of GET /v3/certificates as WeChat sent it.
struct certificates_answer {
    signature_headers headers;  // Wechatpay-* and Request-ID
    std::string body;
    // Downloaded by another instance: the client checks it all again, at its own timestamp
    // (not older than certificate_refresh, not older than what it has) before it uses it.
    bool shared = false;
};

class certificate_source {
public:
    using answer_handler = boost::asio::any_completion_handler<void(result<certificates_answer>)>;
    // Downloads /v3/certificates with the client; completes with the answer only once it
    // verified (WeChat's error or the refusal otherwise). A source calls it when it has nothing
    // newer to give.
    using download_function = std::function<void(answer_handler)>;
    virtual ~certificate_source() = default;
    // An answer other than the one whose Wechatpay-Signature is `replaces` (the one the client
    // has, or a shared one it refused; empty: none), from `download` or from what another
    // instance downloaded.
    virtual void async_fetch(std::string replaces, download_function download, answer_handler handler) = 0;
};

// The default: every fetch downloads (one download per rotation per client).
class direct_certificates final : public certificate_source {
public:
    void async_fetch(std::string, download_function download, answer_handler handler) override {
        download(std::move(handler));
    }
};

}  // namespace wechatpay
