#include "sim/media.hpp"

#include "sim/api.hpp"

#include <wechatpay/crypto.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

namespace wechatpay::sim {

namespace json = boost::json;

std::size_t media_store::body_limit(std::string_view target) {
    const auto kind = upload_kind_of(target.substr(0, target.find('?')));
    if (!kind) return 0;
    return (*kind == media_kind::image ? max_image_bytes : max_video_bytes) + (max_request_body - max_video_bytes);
}

answer media_store::upload(const merchant& m, std::string_view path, const upload_form& form) {
    if (!boost::beast::iequals(form.sha256, sha256_hex(form.file)))
        return error_answer(400, "PARAM_ERROR", "meta.sha256 is not the SHA-256 of the file");
    const upload_file file{form.filename, form.file};
    auto mime = checked_media_type(path, file);
    if (!mime) return error_answer(400, "PARAM_ERROR", mime.error().detail);

    std::string id = "SIM" + random_nonce(61);
    std::lock_guard lock(mutex_);
    items_[id] = item{m.mchid, std::string(*mime), form.file, upload_kind_of(path) == media_kind::image};
    order_.push_back(id);
    bytes_ += form.file.size();
    while (items_.size() > max_items || bytes_ > max_bytes) {
        auto oldest = items_.find(order_.front());
        bytes_ -= oldest->second.bytes.size();
        items_.erase(oldest);
        order_.pop_front();
    }
    return {200, json::serialize(json::object{{"media_id", id}})};
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
