// Files for WeChat Pay's multipart upload endpoints (images and videos, answered with a
// media_id). The request carries two parts, `meta` ({"filename","sha256"}) then `file`, and its
// signature covers the meta JSON exactly as sent, not the multipart body.
#pragma once

#include <wechatpay/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace wechatpay {

struct upload_file {
    std::string filename;  // sent in meta and in the file part; its extension must fit the content
    std::string bytes;
};

// The endpoints and their limits, as WeChat Pay documents them.
inline constexpr std::string_view image_upload_target = "/v3/merchant/media/upload";
inline constexpr std::string_view video_upload_target = "/v3/merchant/media/video_upload";
inline constexpr std::string_view complaint_image_upload_target = "/v3/merchant-service/images/upload";
inline constexpr std::string_view marketing_image_upload_target = "/v3/marketing/favor/media/image-upload";
inline constexpr std::size_t max_image_bytes = 2 * 1024 * 1024;
inline constexpr std::size_t max_video_bytes = 5 * 1024 * 1024;

// Whether WeChat Pay would take `file` at `target` (a path, no query): a filename of 1–128
// bytes without control bytes, quotes, backslashes or slashes; at an image endpoint a JPG, BMP
// or PNG of at most 2 MiB; at the video endpoint an AVI, WMV, MPEG, MP4, MOV, MKV, FLV, F4V, M4V
// or RMVB of at most 5 MiB; at any other target one of these within 5 MiB. The type is read
// from the content's magic bytes and must agree with the filename's extension.
// invalid_argument saying what does not fit.
result<void> check_upload(std::string_view target, const upload_file& file);

}  // namespace wechatpay
