#include "core/multipart.hpp"
#include "core/utf8.hpp"

#include <wechatpay/crypto.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace wechatpay {

namespace json = boost::json;
using boost::beast::iequals;

namespace {

bool at(std::string_view b, std::size_t offset, std::string_view magic) {
    return b.size() >= offset + magic.size() && b.substr(offset, magic.size()) == magic;
}

// One extension WeChat names, the MIME type sent for it and the magic bytes that must open it.
struct format {
    std::string_view extension;
    std::string_view mime;
    media_kind kind;
    bool (*opens)(std::string_view);
};

bool iso_media(std::string_view b) { return at(b, 4, "ftyp"); }
// QuickTime files older than the ISO format open with any of these atoms.
bool quicktime(std::string_view b) {
    return iso_media(b) || at(b, 4, "moov") || at(b, 4, "mdat") || at(b, 4, "wide") || at(b, 4, "free");
}

using namespace std::string_view_literals;
constexpr std::array formats{
    format{"jpg", "image/jpeg", media_kind::image, [](std::string_view b) { return at(b, 0, "\xFF\xD8\xFF"sv); }},
    format{"png", "image/png", media_kind::image, [](std::string_view b) { return at(b, 0, "\x89PNG\r\n\x1A\n"sv); }},
    format{"bmp", "image/bmp", media_kind::image, [](std::string_view b) { return b.size() >= 26 && at(b, 0, "BM"); }},
    format{"avi", "video/x-msvideo", media_kind::video,
           [](std::string_view b) { return at(b, 0, "RIFF") && at(b, 8, "AVI "); }},
    format{"wmv", "video/x-ms-wmv", media_kind::video,
           [](std::string_view b) { return at(b, 0, "\x30\x26\xB2\x75\x8E\x66\xCF\x11"sv); }},
    format{"mpeg", "video/mpeg", media_kind::video,
           [](std::string_view b) { return at(b, 0, "\0\0\1\xBA"sv) || at(b, 0, "\0\0\1\xB3"sv); }},
    format{"mp4", "video/mp4", media_kind::video, iso_media},
    format{"mov", "video/quicktime", media_kind::video, quicktime},
    format{"m4v", "video/x-m4v", media_kind::video, iso_media},
    format{"f4v", "video/x-f4v", media_kind::video, iso_media},
    format{"mkv", "video/x-matroska", media_kind::video, [](std::string_view b) { return at(b, 0, "\x1A\x45\xDF\xA3"sv); }},
    format{"flv", "video/x-flv", media_kind::video, [](std::string_view b) { return at(b, 0, "FLV\x01"sv); }},
    format{"rmvb", "application/vnd.rn-realmedia-vbr", media_kind::video, [](std::string_view b) { return at(b, 0, ".RMF"); }},
};

std::string extensions_of(std::optional<media_kind> kind) {
    std::string out;
    for (const auto& f : formats)
        if (!kind || f.kind == *kind) out += (out.empty() ? "." : ", .") + std::string(f.extension);
    return out;
}

bool filename_byte_ok(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '/';
}

error invalid(std::string what) { return error(errc::invalid_argument, std::move(what)); }

// RFC 2046 bchars (without the space, which may not end a boundary and serves no purpose).
bool boundary_ok(std::string_view b) {
    constexpr std::string_view others = "'()+_,-./:=?";
    return !b.empty() && b.size() <= 70 && std::all_of(b.begin(), b.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || others.find(c) != std::string_view::npos;
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The value of `name` among "; name=value" parameters, a value a token or a quoted-string
// (RFC 9110 §5.6.4: a ';' or '=' inside the quotes is text, a backslash escapes the next byte); nullopt when
// absent or when the parameters cannot be read.
std::optional<std::string> parameter(std::string_view params, std::string_view name) {
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < params.size() && (params[i] == ' ' || params[i] == '\t')) ++i;
    };
    while (i < params.size()) {
        skip_space();
        const std::size_t key_start = i;
        while (i < params.size() && params[i] != '=' && params[i] != ';') ++i;
        const std::string_view key = trim(params.substr(key_start, i - key_start));
        std::string value;
        const bool has_value = i < params.size() && params[i] == '=';
        if (has_value) {
            ++i;
            skip_space();
            if (i < params.size() && params[i] == '"') {
                for (++i;; ++i) {
                    if (i >= params.size()) return std::nullopt;  // never closed
                    if (params[i] == '"') break;
                    if (params[i] == '\\' && ++i >= params.size()) return std::nullopt;
                    value += params[i];
                }
                ++i;
                skip_space();
                if (i < params.size() && params[i] != ';') return std::nullopt;  // text after the quotes
            } else {
                const std::size_t value_start = i;
                while (i < params.size() && params[i] != ';') ++i;
                value = std::string(trim(params.substr(value_start, i - value_start)));
            }
        }
        if (i < params.size()) ++i;  // the ';'
        if (has_value && iequals(key, name)) return value;
    }
    return std::nullopt;
}

struct part {
    std::optional<std::string> name, filename;
    std::string_view content;
};

result<part> read_part(std::string_view raw, std::size_t index) {
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos) return invalid("part " + std::to_string(index) + " has no header block");
    part p;
    p.content = raw.substr(end + 4);
    std::string_view headers = raw.substr(0, end);
    bool form_data = false;
    while (!headers.empty()) {
        const auto eol = headers.find("\r\n");
        const std::string_view line = headers.substr(0, eol);
        headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return invalid("part " + std::to_string(index) + ": malformed header line");
        if (!iequals(line.substr(0, colon), "Content-Disposition")) continue;
        const std::string_view value = trim(line.substr(colon + 1));
        const auto semi = value.find(';');
        form_data = iequals(trim(value.substr(0, semi)), "form-data");
        if (semi != std::string_view::npos) {
            p.name = parameter(value.substr(semi + 1), "name");
            p.filename = parameter(value.substr(semi + 1), "filename");
        }
    }
    if (!form_data || !p.name)
        return invalid("part " + std::to_string(index) + " has no Content-Disposition: form-data; name=…");
    return p;
}

}  // namespace

std::optional<media_kind> upload_kind_of(std::string_view target) {
    for (std::string_view t : {image_upload_target, complaint_image_upload_target, marketing_image_upload_target})
        if (target == t) return media_kind::image;
    if (target == video_upload_target) return media_kind::video;
    return std::nullopt;
}

result<std::string_view> checked_media_type(std::string_view target, std::string_view name, std::string_view bytes) {
    if (name.empty() || name.size() > 128) return invalid("upload: filename must be 1-128 bytes");
    if (!std::all_of(name.begin(), name.end(), filename_byte_ok))
        return invalid("upload: filename " + excerpt(name) + " holds a control byte, a quote, a backslash or a slash");
    // It goes into the meta JSON, which must be UTF-8 (RFC 8259 §8.1), and into the file part.
    if (!detail::utf8_length(name)) return invalid("upload: filename " + excerpt(name) + " is not UTF-8");
    const auto kind = upload_kind_of(target);
    const auto dot = name.rfind('.');
    const std::string_view ext = dot == std::string::npos ? std::string_view() : std::string_view(name).substr(dot + 1);
    const auto f = std::find_if(formats.begin(), formats.end(), [&](const format& x) {
        return iequals(x.extension, ext) && (!kind || x.kind == *kind);
    });
    if (f == formats.end())
        return invalid("upload: filename " + excerpt(name) + " must end in " + extensions_of(kind) + " here");
    const std::size_t limit = f->kind == media_kind::image && kind ? max_image_bytes : max_video_bytes;
    if (bytes.empty()) return invalid("upload: the file is empty");
    if (bytes.size() > limit)
        return invalid("upload: " + std::to_string(bytes.size()) + " bytes, more than the " +
                       std::to_string(limit / (1024 * 1024)) + " MiB WeChat Pay takes here");
    if (!f->opens(bytes))
        return invalid("upload: the content is not " + std::string(f->extension) +
                       " (its first bytes say otherwise), as " + excerpt(name) + " claims");
    return f->mime;
}

result<void> check_upload(std::string_view target, const upload_file& file) {
    auto mime = checked_media_type(target, file.filename, file.bytes);
    if (!mime) return mime.error();
    return {};
}

std::string upload_meta(const upload_file& file) {
    return json::serialize(json::object{{"filename", file.filename}, {"sha256", sha256_hex(file.bytes)}});
}

multipart_request build_upload(const upload_file& file, std::string_view mime,
                               const std::function<std::string()>& next_boundary) {
    multipart_request r;
    r.meta = upload_meta(file);
    // Nowhere in what the body carries: the file, the meta (and the filename in it), the type.
    const auto occurs = [&](const std::string& b) {
        return file.bytes.find(b) != std::string::npos || r.meta.find(b) != std::string::npos ||
               file.filename.find(b) != std::string::npos || mime.find(b) != std::string_view::npos;
    };
    std::string boundary;
    do {
        boundary = next_boundary ? next_boundary() : "wechatpay-asio-" + random_nonce(32);
    } while (occurs(boundary));
    const std::string delimiter = "--" + boundary;
    r.body.reserve(file.bytes.size() + r.meta.size() + 512);
    r.body += delimiter + "\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n";
    r.body += r.meta;
    r.body += "\r\n" + delimiter + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.filename +
              "\"\r\nContent-Type: " + std::string(mime) + "\r\n\r\n";
    r.body += file.bytes;
    r.body += "\r\n" + delimiter + "--\r\n";
    r.content_type = "multipart/form-data; boundary=" + boundary;
    return r;
}

result<upload_form> parse_upload(std::string_view content_type, std::string_view body, std::string_view& meta) {
    meta = {};
    const auto semi = content_type.find(';');
    if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data"))
        return invalid("Content-Type is not multipart/form-data");
    const auto boundary =
        semi == std::string_view::npos ? std::nullopt : parameter(content_type.substr(semi + 1), "boundary");
    if (!boundary || !boundary_ok(*boundary)) return invalid("multipart boundary is missing or malformed");
    const std::string delimiter = "--" + *boundary;
    if (!body.starts_with(delimiter + "\r\n")) return invalid("body does not open with the multipart boundary");
    std::vector<part> parts;
    std::size_t pos = delimiter.size() + 2;
    for (;;) {
        const auto next = body.find("\r\n" + delimiter, pos);
        if (next == std::string_view::npos) return invalid("multipart body is not closed by its boundary");
        auto p = read_part(body.substr(pos, next - pos), parts.size() + 1);
        if (!p) return p.error();
        if (p->name == "meta" && meta.data() == nullptr) meta = p->content;
        parts.push_back(*p);
        pos = next + 2 + delimiter.size();
        const std::string_view rest = body.substr(pos);
        if (rest == "--" || rest == "--\r\n") break;
        if (!rest.starts_with("\r\n")) return invalid("multipart boundary followed by neither CRLF nor --");
        pos += 2;
    }
    const auto named = [&](std::size_t i, std::string_view n) { return parts.size() > i && parts[i].name == n; };
    if (!named(0, "meta")) return invalid(named(0, "file") ? "part file comes before part meta" : "part meta is missing");
    if (!named(1, "file")) return invalid("part file is missing");
    if (parts.size() > 2) return invalid("unexpected part " + excerpt(parts[2].name.value_or("")) + " after file");
    if (!parts[1].filename) return invalid("part file has no filename");

    upload_form form;
    form.meta = std::string(parts[0].content);
    boost::system::error_code ec;
    const auto doc = json::parse(form.meta, ec);
    const auto* o = !ec ? doc.if_object() : nullptr;
    const auto* filename = o ? o->if_contains("filename") : nullptr;
    const auto* sha256 = o ? o->if_contains("sha256") : nullptr;
    if (!filename || !filename->is_string() || !sha256 || !sha256->is_string())
        return invalid("meta is not a JSON object with string filename and sha256");
    form.filename = filename->get_string();
    form.sha256 = sha256->get_string();
    form.file = std::string(parts[1].content);
    form.file_name = *parts[1].filename;
    return form;
}

result<upload_form> parse_upload(std::string_view content_type, std::string_view body) {
    std::string_view meta;
    return parse_upload(content_type, body, meta);
}

}  // namespace wechatpay
