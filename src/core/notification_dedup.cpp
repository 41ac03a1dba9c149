#include <wechatpay/notification_dedup.hpp>

namespace wechatpay {

memory_dedup::memory_dedup(std::size_t capacity, std::chrono::seconds ttl, clock_function clock)
    : capacity_(capacity == 0 ? 1 : capacity), ttl_(ttl.count()), clock_(std::move(clock)) {}

void memory_dedup::evict(std::int64_t t) {
    // The queue holds every claim in order; a pair whose id was released (or claimed again
    // since) is stale and just dropped. In-progress ids at the front are passed over, once each.
    std::size_t passed_over = 0;
    while (!order_.empty() && passed_over < order_.size()) {
        auto it = ids_.find(order_.front().first);
        if (it == ids_.end() || it->second.claim != order_.front().second) {
            order_.pop_front();
            continue;
        }
        const bool expired = it->second.expires <= t;
        if (!expired && ids_.size() < capacity_) return;
        if (expired || it->second.done) {
            ids_.erase(it);
            order_.pop_front();
            continue;
        }
        order_.push_back(std::move(order_.front()));  // in progress: keep, look further
        order_.pop_front();
        ++passed_over;
    }
}

notification_dedup::claim memory_dedup::try_claim(std::string_view id) {
    const std::int64_t t = now();
    std::lock_guard lock(mutex_);
    std::string key(id);
    if (auto it = ids_.find(key); it != ids_.end() && it->second.expires > t)
        return it->second.done ? claim::done : claim::in_progress;
    evict(t);
    // Released claims leave stale pairs behind; keep the queue in proportion to the map.
    if (order_.size() > 2 * capacity_ + 64)
        std::erase_if(order_, [this](const auto& p) {
            const auto it = ids_.find(p.first);
            return it == ids_.end() || it->second.claim != p.second;
        });
    ids_[key] = entry{false, t + ttl_, ++claims_};
    order_.emplace_back(std::move(key), claims_);
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

void memory_dedup::async_claim(std::string id, claim_handler handler) {
    std::move(handler)(result<claim>(try_claim(id)));
}

void memory_dedup::async_complete(std::string id, done_handler handler) {
    complete(id);
    std::move(handler)(result<void>());
}

void memory_dedup::async_release(std::string id, done_handler handler) {
    release(id);
    std::move(handler)(result<void>());
}

std::size_t memory_dedup::size() const {
    std::lock_guard lock(mutex_);
    return ids_.size();
}

}  // namespace wechatpay
