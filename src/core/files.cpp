#include "core/files.hpp"

#include <fstream>
#include <sstream>

namespace wechatpay {

result<std::string> read_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return error(errc::file_unreadable, path.string() + " is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) return error(errc::file_unreadable, path.string());
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return error(errc::file_unreadable, path.string());
    return std::move(out).str();
}

}  // namespace wechatpay
