// An io_context on two threads, as a server runs it: for the Redis tests' connections, stores
// and clients.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>
#include <vector>

namespace wechatpay_test {

struct io_threads {
    boost::asio::io_context ioc;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    io_threads() {
        for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
    }
    ~io_threads() {  // after the connections and stores: lets them close, then the threads end
        work.reset();
        join();
    }
    // Stops the io_context at once, whatever is left to do (as a server's shutdown may).
    void stop() {
        ioc.stop();
        join();
    }

private:
    void join() {
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
};

}  // namespace wechatpay_test
