#include "core/files.hpp"

#include <wechatpay/crypto.hpp>

#include <cerrno>
#include <cstdlib>
#include <utility>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wechatpay {

namespace {

std::string size_text(std::size_t bytes) {
    if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " bytes";
}

// Reads until end of file or limit.bytes + 1 bytes; errno-style failure as a message.
result<std::string> read_bounded(int fd, file_limit limit) {
    std::string out;
    char buf[16 * 1024];
    for (;;) {
        const std::size_t room = limit.bytes + 1 - out.size();
        const ssize_t n = ::read(fd, buf, room < sizeof buf ? room : sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return error(errc::file_unreadable, std::strerror(errno));
        if (n == 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > limit.bytes) {
            secure_wipe(out);
            return error(errc::file_unreadable, too_large(limit));
        }
    }
}

}  // namespace

std::string too_large(file_limit limit) {
    return "larger than " + size_text(limit.bytes) + ", the most " + std::string(limit.holds) + " holds";
}

result<std::string> read_descriptor(int fd, file_limit limit) { return read_bounded(fd, limit); }

result<std::string> read_file(const std::filesystem::path& path, file_limit limit) {
    const std::string name = wechatpay::excerpt(path.string(), 256);
    // O_NONBLOCK: opening a FIFO without a writer must not hang (it then reads as empty).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return error(errc::file_unreadable, name + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return error(errc::file_unreadable, name + ": is a directory");
    }
    // Blocking again for the reads themselves (a FIFO's writer may be slower than us).
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    auto text = read_bounded(fd, limit);
    ::close(fd);
    if (!text) return error(text.error().code, name + ": " + text.error().detail);
    return text;
}

result<void> write_new_file(const std::filesystem::path& path, std::string_view content, file_secrecy secrecy,
                            bool replace) {
    const std::string name = wechatpay::excerpt(path.string(), 256);
    if (replace && ::unlink(path.c_str()) != 0 && errno != ENOENT)
        return error(errc::file_unreadable, name + ": cannot replace: " + std::strerror(errno));
    const mode_t mode = secrecy == file_secrecy::secret ? 0600 : 0644;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        if (errno == EEXIST) return error(errc::file_unreadable, name + " exists: not overwritten");
        return error(errc::file_unreadable, name + ": cannot create: " + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return error(errc::file_unreadable, name + ": cannot write: " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return error(errc::file_unreadable, name + ": cannot write: " + std::strerror(errno));
    return {};
}

// ---- partial_file -----------------------------------------------------------------------

result<partial_file> partial_file::create(const std::filesystem::path& destination) {
    const std::string name = wechatpay::excerpt(destination.string(), 256);
    if (destination.filename().empty()) return error(errc::file_unreadable, name + ": not a file name");
    std::filesystem::path dir = destination.parent_path();
    if (dir.empty()) dir = ".";
    std::string pattern = (dir / ("." + destination.filename().string() + ".part-XXXXXX")).string();
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);  // mode 0600
    if (fd < 0) return error(errc::file_unreadable, name + ": cannot create a file beside it: " + std::strerror(errno));
    return partial_file(fd, pattern, destination);
}

partial_file::partial_file(int fd, std::filesystem::path temp, std::filesystem::path destination)
    : fd_(fd), temp_(std::move(temp)), destination_(std::move(destination)) {}

partial_file::partial_file(partial_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), temp_(std::move(other.temp_)), destination_(std::move(other.destination_)) {
    other.temp_.clear();
}

partial_file::~partial_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
}

result<void> partial_file::write(std::string_view data) {
    if (fd_ < 0) return error(errc::file_unreadable, "the file is closed");
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return error(errc::file_unreadable,
                         wechatpay::excerpt(temp_.string(), 256) + ": cannot write: " + std::strerror(errno));
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

result<void> partial_file::commit() {
    const std::string name = wechatpay::excerpt(destination_.string(), 256);
    if (fd_ < 0) return error(errc::file_unreadable, name + ": the file is closed");
    const bool synced = ::fsync(fd_) == 0;
    const int sync_errno = errno;
    const bool closed = ::close(std::exchange(fd_, -1)) == 0;
    if (!synced || !closed)
        return error(errc::file_unreadable, name + ": cannot write: " + std::strerror(synced ? errno : sync_errno));
    if (::rename(temp_.c_str(), destination_.c_str()) != 0)
        return error(errc::file_unreadable, name + ": cannot rename onto it: " + std::strerror(errno));
    temp_.clear();
    return {};
}

}  // namespace wechatpay
