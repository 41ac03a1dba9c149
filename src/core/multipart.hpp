// An upload's multipart/form-data body (RFC 7578), both ways: the client builds it, the
// simulator reads it back. No I/O.
#pragma once

#include <wechatpay/upload.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay {

enum class media_kind { image, video };

// What WeChat takes at a target: images, videos, or (nullopt) a target that is no known upload
// endpoint.
std::optional<media_kind> upload_kind_of(std::string_view target);

// check_upload, and the file's MIME type when it passes (the file part's Content-Type).
result<std::string_view> checked_media_type(std::string_view target, std::string_view filename, std::string_view bytes);

// {"filename":…,"sha256":…}: the meta part, exactly the bytes the request's signature covers.
std::string upload_meta(const upload_file& file);

struct multipart_request {
    std::string meta;          // to sign
    std::string body;          // to send
    std::string content_type;  // multipart/form-data; boundary=…
};
// The body of a checked file: part meta, then part file of `mime`, under a fresh boundary that
// occurs nowhere in either. Boundaries are drawn from `next_boundary` (tests; 1–70 RFC 2046
// characters) until one fits, by default "wechatpay-asio-" and 32 random characters.
multipart_request build_upload(const upload_file& file, std::string_view mime,
                               const std::function<std::string()>& next_boundary = {});

struct upload_form {
    std::string meta;              // as sent: what the signature covers
    std::string filename, sha256;  // meta's fields
    std::string file;              // the file part's bytes
    std::string file_name;         // the file part's filename parameter
};
// Reads an upload back. Refused (invalid_argument, saying what): a Content-Type other than
// multipart/form-data with a boundary of 1–70 characters, a body not framed by that boundary,
// parts other than exactly `meta` then `file` (with a filename), a meta that is not a JSON
// object with string filename and sha256. `meta` is set to the first part named meta found before
// any refusal (empty if none), so that a server can check the signature before saying why.
result<upload_form> parse_upload(std::string_view content_type, std::string_view body, std::string_view& meta);
result<upload_form> parse_upload(std::string_view content_type, std::string_view body);

}  // namespace wechatpay
