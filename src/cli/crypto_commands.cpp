// decrypt/encrypt (AEAD_AES_256_GCM with the APIv3 key) and oaep-encrypt/oaep-decrypt
// (RSA-OAEP for sensitive fields).
#include "commands.hpp"
#include "common.hpp"

#include <wechatpay/crypto.hpp>

#include <array>

namespace wechatpay::cli {
namespace {

constexpr option associated_data_option{"associated-data", "TEXT",
                                        "associated_data (may be empty: '')", true};
constexpr option plaintext_file_option{"plaintext-file", "FILE",
                                       "plaintext ('-' = stdin; default: stdin)"};

// The plaintext to encrypt: --plaintext-file, else standard input.
std::string read_plaintext(const args& a) {
    return read_input(a.find(plaintext_file_option.name).value_or("-"),
                      plaintext_file_option.name, body_file_limit);
}

// ---- decrypt / encrypt ------------------------------------------------------------------

constexpr std::array decrypt_options{
    apiv3_key_option,
    apiv3_key_file_option,
    nonce_option,
    associated_data_option,
    option{"ciphertext", "B64", "ciphertext with its tag, base64", true},
};

// The command line's base64 is the caller's input: malformed, it is usage (exit 2), not a
// protocol error in data received.
const std::string& base64_option(const args& a, std::string_view name) {
    const std::string& text = a.get(name);
    if (!base64_decode(text)) usage_error("--" + std::string(name) + " is not base64");
    return text;
}

int run_decrypt(const args& a) {
    const apiv3_key key = load_apiv3_key(a);
    base64_option(a, "ciphertext");
    print(unwrap(aead_decrypt(key, a.get("nonce"), a.get("associated-data"), a.get("ciphertext"))));
    return exit_ok;
}

constexpr std::array encrypt_options{
    apiv3_key_option, apiv3_key_file_option, nonce_option, associated_data_option,
    plaintext_file_option,
};

int run_encrypt(const args& a) {
    const apiv3_key key = load_apiv3_key(a);
    const std::string plaintext = read_plaintext(a);
    print_line(unwrap(aead_encrypt(key, a.get("nonce"), a.get("associated-data"), plaintext)));
    return exit_ok;
}

// ---- oaep-encrypt / oaep-decrypt --------------------------------------------------------

constexpr std::array oaep_encrypt_options{
    option{"certificate", "FILE", "WeChat Pay platform certificate, PEM"},
    public_key_option,
    plaintext_file_option,
};

int run_oaep_encrypt(const args& a) {
    a.require_one_of("certificate", public_key_option.name);
    const public_key key = a.has("certificate") ? load_certificate(a.get("certificate")).key()
                                                : load_public_key(a.get(public_key_option.name));
    const std::string plaintext = read_plaintext(a);
    print_line(unwrap(oaep_encrypt(key, plaintext)));
    return exit_ok;
}

constexpr std::array oaep_decrypt_options{
    private_key_option,
    option{"ciphertext", "B64", "ciphertext, base64", true},
};

int run_oaep_decrypt(const args& a) {
    const private_key key = load_private_key(a.get(private_key_option.name));
    print(unwrap(oaep_decrypt(key, base64_option(a, "ciphertext"))));
    return exit_ok;
}

}  // namespace

const command decrypt_command{
    "decrypt",
    "decrypt an AEAD_AES_256_GCM resource with the APIv3 key",
    "decrypt (--apiv3-key KEY | --apiv3-key-file FILE) --nonce NONCE --associated-data TEXT\n"
    "             --ciphertext B64",
    "Prints the plaintext bytes exactly (no newline is added). Exits 1 when the tag does not\n"
    "match: wrong key, nonce or associated data, or tampered ciphertext.",
    decrypt_options,
    0,
    run_decrypt,
};

const command encrypt_command{
    "encrypt",
    "encrypt with AEAD_AES_256_GCM and the APIv3 key (as WeChat Pay does)",
    "encrypt (--apiv3-key KEY | --apiv3-key-file FILE) --nonce NONCE --associated-data TEXT\n"
    "             [--plaintext-file FILE]",
    "Prints base64(ciphertext || tag), the form of a resource's \"ciphertext\" field.",
    encrypt_options,
    0,
    run_encrypt,
};

const command oaep_encrypt_command{
    "oaep-encrypt",
    "encrypt a sensitive field for WeChat Pay (RSA-OAEP, SHA-1)",
    "oaep-encrypt (--certificate FILE | --public-key FILE) [--plaintext-file FILE]",
    "Encrypts with RSAES-OAEP (SHA-1, MGF1-SHA-1) and prints the base64 ciphertext. Send the\n"
    "certificate's serial or the public key's id in Wechatpay-Serial.",
    oaep_encrypt_options,
    0,
    run_oaep_encrypt,
};

const command oaep_decrypt_command{
    "oaep-decrypt",
    "decrypt a sensitive field with the merchant private key (RSA-OAEP, SHA-1)",
    "oaep-decrypt --private-key FILE --ciphertext B64",
    "Prints the plaintext bytes exactly (no newline is added). Exits 1 when decryption fails.",
    oaep_decrypt_options,
    0,
    run_oaep_decrypt,
};

}  // namespace wechatpay::cli
