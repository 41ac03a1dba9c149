// Reading the small files a merchant configures (keys, certificates, configs) with errors that
// name them, and writing generated keys without replacing anything by accident.
#pragma once

#include <wechatpay/error.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace wechatpay {

// The most a kind of file can legitimately hold. Reads stop one byte past it, so that
// /dev/zero, a FIFO or a wrong file costs at most that much memory.
struct file_limit {
    std::size_t bytes;
    std::string_view holds;  // "an APIv3 key file": "…, the most an APIv3 key file holds"
};

// A PEM private key, public key or certificate (a 4096-bit key is ~3.3 KiB).
inline constexpr file_limit pem_file_limit{64 * 1024, "a PEM key or certificate file"};
// Several PEM certificates (a CA bundle, a TLS chain).
inline constexpr file_limit certificate_chain_limit{1024 * 1024, "a certificate chain file"};
// A client or simulator config (JSON).
inline constexpr file_limit config_file_limit{1024 * 1024, "a config file"};
// 32 characters and a line break, with room for editors' habits.
inline constexpr file_limit apiv3_key_file_limit{4 * 1024, "an APIv3 key file"};

// "larger than 4 KiB, the most an APIv3 key file holds"
std::string too_large(file_limit limit);

// The whole file if it holds at most limit.bytes; otherwise file_unreadable. Errors name the
// path (quoted, never the content) and why: "\"/dev/zero\": larger than 4 KiB, the most …".
// Works for any file that read(2) reads: regular files, devices, FIFOs (st_size is not trusted).
result<std::string> read_file(const std::filesystem::path& path, file_limit limit);

// The rest of an open descriptor (standard input), with the same bound; errors give only the
// reason ("larger than …", strerror).
result<std::string> read_descriptor(int fd, file_limit limit);

// Writes a new file; with `replace` an existing one is removed first, else it is an error naming
// it ("… exists"). Created with O_EXCL, so that nothing written meanwhile is overwritten either,
// and with mode 0600 when `secret` (from the start: never readable by others, not even briefly).
enum class file_secrecy { public_file, secret };
result<void> write_new_file(const std::filesystem::path& path, std::string_view content, file_secrecy secrecy,
                            bool replace);

// A download's file: written under a temporary name in the destination's directory (mode
// 0600) and renamed onto the destination by commit(), so that the destination is never a
// part of the file. Destroyed uncommitted (a failure, a cancellation), it removes the
// temporary file and leaves the destination as it was. Errors are file_unreadable naming
// the path, as write_new_file's.
class partial_file {
public:
    static result<partial_file> create(const std::filesystem::path& destination);
    partial_file(partial_file&& other) noexcept;
    partial_file& operator=(partial_file&&) = delete;
    ~partial_file();

    result<void> write(std::string_view data);
    // Flushes to disk, closes, renames onto the destination (replacing it).
    result<void> commit();
    const std::filesystem::path& temporary() const noexcept { return temp_; }

private:
    partial_file(int fd, std::filesystem::path temp, std::filesystem::path destination);
    int fd_ = -1;
    std::filesystem::path temp_, destination_;
};

}  // namespace wechatpay
