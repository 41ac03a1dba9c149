#include <wechatpay/notification_dedup.hpp>

namespace wechatpay {

memory_dedup::memory_dedup(std::size_t capacity, std::chrono::seconds ttl, clock_function clock)
    : capacity_(capacity == 0 ? 1 : capacity), ttl_(ttl.count()), clock_(std::move(clock)) {}

void memory_dedup::evict(std::int64_t t) {
    // order_ may hold stale pairs for ids released and claimed again: an id is only dropped
    // when the pair matches its current expiry.
    while (!order_.empty() && (order_.front().second <= t || ids_.size() >= capacity_)) {
        const auto& [id, expires] = order_.front();
        if (auto it = ids_.find(id); it != ids_.end() && it->second.expires == expires) ids_.erase(it);
        order_.pop_front();
    }
}

notification_dedup::claim memory_dedup::try_claim(std::string_view id) {
    const std::int64_t t = now();
    std::lock_guard lock(mutex_);
    std::string key(id);
    if (auto it = ids_.find(key); it != ids_.end() && it->second.expires > t)
        return it->second.done ? claim::done : claim::in_progress;
    evict(t);
    const std::int64_t expires = t + ttl_;
    ids_[key] = entry{false, expires};
    order_.emplace_back(std::move(key), expires);
    return claim::first;
}

void memory_dedup::complete(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (auto it = ids_.find(std::string(id)); it != ids_.end()) it->second.done = true;
}

void memory_dedup::release(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (auto it = ids_.find(std::string(id)); it != ids_.end() && !it->second.done) ids_.erase(it);
}

std::size_t memory_dedup::size() const {
    std::lock_guard lock(mutex_);
    return ids_.size();
}

}  // namespace wechatpay
