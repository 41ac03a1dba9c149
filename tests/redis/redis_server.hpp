// A real redis-server (Debian's package) for the tests: started on a free loopback port in a
// private directory, without persistence, and stopped with the fixture. stop(), start() and
// pause() let a test take it away, bring it back (empty: a restart loses its keys) or make it
// slow.
#pragma once

#include "temp_dir.hpp"

#include <wechatpay/redis/connection.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace wechatpay_test {

inline std::uint16_t free_loopback_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("no free loopback port");
    ::close(s);
    return ntohs(a.sin_port);
}

inline bool accepts_connections(std::uint16_t port) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool connected = s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (s >= 0) ::close(s);
    return connected;
}

// Options for a redis_server on `port`, with timeouts short enough for tests of a server gone.
inline wechatpay::redis::options local_redis(std::uint16_t port) {
    wechatpay::redis::options o;
    o.port = port;
    o.connect_timeout = std::chrono::milliseconds(500);
    o.command_timeout = std::chrono::milliseconds(500);
    return o;
}

class redis_server {
public:
    redis_server() : port_(free_loopback_port()) { start(); }
    ~redis_server() { stop(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    std::uint16_t port() const { return port_; }

    void start() {
        if (pid_ > 0) return;
        const std::string port = std::to_string(port_), dir = dir_.path().string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", dir.c_str(), "--logfile", "redis.log", "--daemonize", "no",
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 500; ++i) {  // up to 10 s
            if (accepts_connections(port_)) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start (is Debian's redis-server installed?)");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("redis-server did not start on port " + port);
    }
    void stop() {
        if (pid_ <= 0) return;
        resume();
        ::kill(pid_, SIGKILL);  // no goodbye: as a crash or a lost machine
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    void pause() {  // answers nothing until resume(): a slow or stuck server
        if (pid_ > 0 && !paused_) ::kill(pid_, SIGSTOP);
        paused_ = pid_ > 0;
    }
    void resume() {
        if (pid_ > 0 && paused_) ::kill(pid_, SIGCONT);
        paused_ = false;
    }

private:
    temp_dir dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
    bool paused_ = false;
};

}  // namespace wechatpay_test
