// Uploaded images and videos: the upload endpoints (multipart, the signature over meta) and
// GET /v3/merchant-service/images/{media_id}, which serves an image unsigned as WeChat does.
// Bounded in count and bytes: the oldest uploads go first.
#pragma once

#include "core/multipart.hpp"

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace wechatpay::sim {

struct answer;    // sim/api.hpp
struct merchant;  // wechatpay/sim/simulator.hpp

inline constexpr std::string_view image_download_prefix = "/v3/merchant-service/images/";

class media_store {
public:
    static constexpr std::size_t max_items = 256;
    static constexpr std::size_t max_bytes = 64 * 1024 * 1024;

    // The upload endpoints the simulator serves: POST only; the marketing image upload is not served.
    static bool serves_upload(std::string_view method, std::string_view path);
    // The largest request body a served upload takes (its file limit and room for the parts'
    // framing and meta), for the server's body limit; 0 for any other request.
    static std::size_t body_limit(std::string_view method, std::string_view target);
    static constexpr std::size_t max_request_body = max_video_bytes + 64 * 1024;

    // POST to an upload endpoint: the sha256 in meta against the file, the type and size limits
    // of the endpoint, then {"media_id": …}.
    answer upload(const merchant& m, std::string_view path, upload_form&& form);
    // The stored image, unsigned, for the merchant that uploaded it.
    answer image(const merchant& m, std::string_view media_id);

    // A payer's image filed with a complaint (the control API): checked like an upload to
    // /v3/merchant-service/images/upload, served back to `mchid`. Its media_id.
    result<std::string> add_complaint_image(const std::string& mchid, std::string_view filename, std::string bytes);
    // Whether `media_id` is a complaint image of `mchid` (a response may show only those).
    bool has_image(const std::string& mchid, std::string_view media_id) const;

    std::size_t size() const;

private:
    struct item {
        std::string mchid, content_type, bytes;
        bool image = false;
    };
    std::string insert(item it);  // its new media_id; the oldest items go beyond the bounds
    mutable std::mutex mutex_;
    std::map<std::string, item, std::less<>> items_;
    std::deque<std::string> order_;  // oldest first
    std::size_t bytes_ = 0;
};

}  // namespace wechatpay::sim
