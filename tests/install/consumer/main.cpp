// Uses the installed package: loads a key, signs a request, checks the signature verifies;
// and links the simulator library, whose config loader names a missing file.
#include <wechatpay/sim/simulator.hpp>
#include <wechatpay/wechatpay.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    auto key = wechatpay::private_key::from_file(argv[1]);
    if (!key) return std::cerr << key.error().to_string() << "\n", 1;
    auto signer = wechatpay::signer::create("1900000001", *key, std::string("ABC123")).value();
    auto req = signer.sign_request("GET", "/v3/certificates", "").value();
    auto sig = wechatpay::base64_decode(req.signature).value();
    const auto message = wechatpay::request_message("GET", "/v3/certificates", req.timestamp, req.nonce, "");
    if (!key->public_part().verify_sha256(message, sig)) return 1;
    if (wechatpay::sim::load_config("/nonexistent/sim.json")) return 1;
    std::cout << req.authorization.substr(0, 40) << "...\n";
    return 0;
}
