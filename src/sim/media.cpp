#include "sim/media.hpp"

#include "sim/api.hpp"

#include <wechatpay/crypto.hpp>

#include <boost/json.hpp>

namespace wechatpay::sim {

namespace json = boost::json;

bool media_store::serves_upload(std::string_view method, std::string_view path) {
    return method == "POST" && upload_kind_of(path) && path != marketing_image_upload_target;
}

std::size_t media_store::body_limit(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (!serves_upload(method, path)) return 0;
    const auto kind = upload_kind_of(path);
    return (*kind == media_kind::image ? max_image_bytes : max_video_bytes) + (max_request_body - max_video_bytes);
}

answer media_store::upload(const merchant& m, std::string_view path, upload_form&& form) {
    // Exact: the official SDKs send the lower-case hex digest.
    if (form.sha256 != sha256_hex(form.file))
        return error_answer(400, "PARAM_ERROR", "meta.sha256 is not the SHA-256 of the file");
    auto mime = checked_media_type(path, form.filename, form.file);
    if (!mime) return error_answer(400, "PARAM_ERROR", mime.error().detail);

    // Only complaint images are served back (GET /v3/merchant-service/images/{media_id}).
    const bool served = path == complaint_image_upload_target;
    const std::string id = insert(item{m.mchid, std::string(*mime), std::move(form.file), served});
    return {200, json::serialize(json::object{{"media_id", id}})};
}

std::string media_store::insert(item it) {
    const std::size_t size = it.bytes.size();
    std::lock_guard lock(mutex_);
    std::string id;
    do {  // a repeated id would overwrite an item and leave order_ naming it twice
        id = "SIM" + random_nonce(61);
    } while (items_.contains(id));
    items_.emplace(id, std::move(it));
    order_.push_back(id);
    bytes_ += size;
    while (items_.size() > max_items || bytes_ > max_bytes) {
        auto oldest = items_.find(order_.front());
        bytes_ -= oldest->second.bytes.size();
        items_.erase(oldest);
        order_.pop_front();
    }
    return id;
}

result<std::string> media_store::add_complaint_image(const std::string& mchid, std::string_view filename,
                                                     std::string bytes) {
    auto mime = checked_media_type(complaint_image_upload_target, filename, bytes);
    if (!mime) return mime.error();
    return insert(item{mchid, std::string(*mime), std::move(bytes), true});
}

bool media_store::has_image(const std::string& mchid, std::string_view media_id) const {
    std::lock_guard lock(mutex_);
    const auto it = items_.find(media_id);
    return it != items_.end() && it->second.mchid == mchid && it->second.image;
}

answer media_store::image(const merchant& m, std::string_view media_id) {
    std::lock_guard lock(mutex_);
    const auto it = items_.find(media_id);
    if (it == items_.end() || it->second.mchid != m.mchid || !it->second.image)
        return error_answer(404, "RESOURCE_NOT_EXISTS", "no such image");
    return {200, it->second.bytes, false, it->second.content_type};
}

std::size_t media_store::size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
}

}  // namespace wechatpay::sim
