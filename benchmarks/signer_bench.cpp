// Signer and verifier throughput beside the floor: a raw OpenSSL EVP loop on the same key, in
// the same run, at 1 and 2 threads. The ratio ours/raw is what matters on a noisy machine;
// each figure is the median of several interleaved rounds.
//
//   signer_bench [--key PEM] [--seconds S] [--rounds R] [--out PREFIX]   (PREFIX.json, PREFIX.csv)
#include <wechatpay/wechatpay.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

using namespace wechatpay;
using clock_type = std::chrono::steady_clock;

namespace {

// The body of a typical APP prepay request: what a server signs most often.
const std::string body =
    R"({"appid":"wxd678efh567hg6787","mchid":"1900000001","description":"Game coins x 600",)"
    R"("out_trade_no":"GAME2026112700000001","notify_url":"https://pay.example.com/notify",)"
    R"("amount":{"total":600,"currency":"CNY"}})";

// Runs `op` on `threads` threads for `seconds`; returns operations per second.
double ops_per_second(int threads, double seconds, const std::function<void()>& op) {
    std::atomic<bool> stop{false};
    std::atomic<long> total{0};
    std::vector<std::thread> pool;
    const auto start = clock_type::now();
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            long n = 0;
            while (!stop.load(std::memory_order_relaxed)) { op(); ++n; }
            total += n;
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : pool) t.join();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    return static_cast<double>(total.load()) / elapsed;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct evp_pkey_deleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using raw_key = std::unique_ptr<EVP_PKEY, evp_pkey_deleter>;

raw_key raw_load(const std::string& pem, bool is_private) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* k = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!k) throw std::runtime_error("cannot load key");
    return raw_key(k);
}

// The floor: what any correct code must do per call — one EVP_DigestSign / DigestVerify.
void raw_sign(EVP_PKEY* key, const std::string& msg) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t len = sizeof sig;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1)
        std::abort();
    EVP_MD_CTX_free(ctx);
}

void raw_verify(EVP_PKEY* key, const std::string& msg, const std::string& sig) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1)
        std::abort();
    EVP_MD_CTX_free(ctx);
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct row {
    std::string op;
    int threads;
    double raw, ours;
};

}  // namespace

int main(int argc, char** argv) {
    std::string key_path = "tests/vectors/doc_test_private_key_pkcs8.pem", out;
    double seconds = 1.0;
    int rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--key") key_path = argv[i + 1];
        else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
        else if (a == "--rounds") rounds = std::stoi(argv[i + 1]);
        else if (a == "--out") out = argv[i + 1];
    }
    try {
        const std::string pem = read_all(key_path);
        auto key = private_key::from_pem(pem).value();
        auto raw_priv = raw_load(pem, true);
        auto raw_pub = raw_load(key.public_part().pem(), false);

        // Signer over a fixed clock and nonce, so that every sign_request signs the same-size message.
        auto s = signer::create("1900000001", key, std::string("3775B6A45ACD588826D15E583A95F5DD"),
                                [] { return std::int64_t{1764201600}; },
                                [] { return std::string(32, 'N'); }).value();
        const auto signed_req = s.sign_request("POST", "/v3/pay/transactions/app", body).value();
        const std::string message = request_message("POST", "/v3/pay/transactions/app",
                                                     signed_req.timestamp, signed_req.nonce, body);

        // An "answer" signed by the same key acting as WeChat Pay's public key.
        const std::string ts = "1764201600", nonce = "d824f2e086d3c1df967785d13fcd22ef";
        const std::string answer = R"({"prepay_id":"wx27000000000000000000000000000001"})";
        const std::string answer_sig = s.sign(answer_message(ts, nonce, answer)).value();
        const std::string answer_raw_sig = base64_decode(answer_sig).value();
        const std::string answer_msg = answer_message(ts, nonce, answer);
        verifier v({}, wechatpay_public_key{"PUB_KEY_ID_0112233445566778899", key.public_part()});
        signature_headers h{ts, nonce, answer_sig, "PUB_KEY_ID_0112233445566778899", "", "", ""};

        const std::function<void()> ops[4] = {
            [&] { raw_sign(raw_priv.get(), message); },
            [&] { if (!s.sign_request("POST", "/v3/pay/transactions/app", body)) std::abort(); },
            [&] { raw_verify(raw_pub.get(), answer_msg, answer_raw_sig); },
            [&] { if (!v.verify_at(h, answer, 1764201600)) std::abort(); },
        };

        std::vector<row> rows;
        std::printf("%-8s %7s %14s %14s %8s\n", "op", "threads", "raw EVP/s", "wechatpay/s", "ratio");
        for (int pair = 0; pair < 2; ++pair) {
            for (int threads : {1, 2}) {
                std::vector<double> raw, ours;
                for (int r = 0; r < rounds; ++r) {  // interleaved: drift hits both sides alike
                    raw.push_back(ops_per_second(threads, seconds, ops[2 * pair]));
                    ours.push_back(ops_per_second(threads, seconds, ops[2 * pair + 1]));
                }
                row x{pair == 0 ? "sign" : "verify", threads, median(raw), median(ours)};
                std::printf("%-8s %7d %14.0f %14.0f %8.3f\n", x.op.c_str(), x.threads, x.raw, x.ours,
                            x.ours / x.raw);
                rows.push_back(x);
            }
        }
        std::printf("(ratio = wechatpay/raw; sign is signer::sign_request, verify is verifier::verify_at;\n"
                    " medians of %d interleaved rounds of %.1f s; %u hardware threads)\n",
                    rounds, seconds, std::thread::hardware_concurrency());

        if (!out.empty()) {
            std::ofstream csv(out + ".csv"), js(out + ".json");
            csv << "op,threads,raw_per_s,wechatpay_per_s,ratio\n";
            js << "[";
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const auto& x = rows[i];
                csv << x.op << "," << x.threads << "," << x.raw << "," << x.ours << "," << x.ours / x.raw << "\n";
                js << (i ? "," : "") << "\n  {\"op\":\"" << x.op << "\",\"threads\":" << x.threads
                   << ",\"raw_per_s\":" << x.raw << ",\"wechatpay_per_s\":" << x.ours
                   << ",\"ratio\":" << x.ours / x.raw << "}";
            }
            js << "\n]\n";
            std::cout << "wrote " << out << ".json and " << out << ".csv\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "signer_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
