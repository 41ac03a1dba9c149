// A real redis-server (Debian's package) for the tests: started on a free loopback port in a
// private directory, without persistence, and stopped with the fixture. stop(), start() and
// pause() let a test take it away, bring it back (empty: a restart loses its keys) or make it
// slow.
#pragma once

#include "temp_dir.hpp"

#include <wechatpay/redis/connection.hpp>

#include <boost/asio/use_future.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
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

// Connect and command timeouts with room for a slow machine (ASan, a busy CI), and the short
// ones of the tests that take the server away or stop it answering.
inline constexpr std::chrono::milliseconds roomy_timeouts{5000}, gone_timeouts{500};

// Options for a redis_server on `port`.
inline wechatpay::redis::options local_redis(std::uint16_t port, std::chrono::milliseconds timeouts = roomy_timeouts) {
    wechatpay::redis::options o;
    o.port = port;
    o.connect_timeout = timeouts;
    o.command_timeout = timeouts;
    return o;
}

class redis_server {
public:
    redis_server() : port_(free_loopback_port()) { start(); }
    ~redis_server() { stop(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    std::uint16_t port() const { return port_; }

    // The free port was only free when it was looked up: another process (a parallel test) may
    // bind it first. At the first start, another port is tried then; at a restart the port is
    // the tests' (their connections know it), so it is tried again for a while.
    void start() {
        if (pid_ > 0) return;
        for (int attempt = 1;; ++attempt) {
            if (launch()) {
                started_ = true;
                return;
            }
            if (!started_ && attempt < 5) port_ = free_loopback_port();
            else if (started_ && attempt < 50) std::this_thread::sleep_for(std::chrono::milliseconds(200));
            else throw std::runtime_error("redis-server could not listen on port " + std::to_string(port_));
        }
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
    // One redis-server on port_: true once it is ready, false when it exited at start (the port
    // was taken). Ready means its own log says so: a connection accepted on the port could be
    // another process's.
    bool launch() {
        const std::string port = std::to_string(port_), dir = dir_.path().string(),
                          log = "redis-" + std::to_string(++launches_) + ".log";
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", dir.c_str(), "--logfile", log.c_str(), "--daemonize", "no",
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 1500; ++i) {  // up to 30 s
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                    throw std::runtime_error("redis-server did not run (is Debian's redis-server installed?)");
                return false;
            }
            if (ready(dir_ / log) && accepts_connections(port_)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stop();
        throw std::runtime_error("redis-server did not start on port " + port);
    }
    static bool ready(const std::filesystem::path& log) {
        std::ifstream in(log);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return text.find("Ready to accept connections") != std::string::npos;
    }

    temp_dir dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
    bool paused_ = false;
    bool started_ = false;  // once: port_ is the tests'
    int launches_ = 0;
};

// How often the server ran `command` (lower case, as INFO commandstats names it): round trips
// as Redis itself counted them.
inline std::int64_t command_calls(wechatpay::redis::connection& conn, const std::string& command) {
    auto info = conn.async_exec({"INFO", "commandstats"}, boost::asio::use_future).get();
    if (!info) throw std::runtime_error("INFO commandstats: " + info.error().to_string());
    const std::string field = "cmdstat_" + command + ":calls=";
    const auto at = info->str.find(field);
    return at == std::string::npos ? 0 : std::stoll(info->str.substr(at + field.size()));
}

}  // namespace wechatpay_test
