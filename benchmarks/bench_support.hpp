// What the benchmarks and the soak share: the simulator as a child process (`wechatpay sim
// --generate DIR`) with its control API, and the process measurements they report — CPU time,
// RSS, file descriptors, the crypto floor, percentiles.
#pragma once

#include <wechatpay/config.hpp>
#include <wechatpay/keys.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace bench {

// The simulator in its own process, so that its CPU time is not ours and can be measured apart.
// Stopped (SIGTERM) and its generated directory removed on destruction.
class sim_process {
public:
    // Runs `cli sim --generate DIR` and waits for its start line. Throws std::runtime_error.
    // `cpu` >= 0: the simulator runs pinned to that core (as under `taskset -c CPU`).
    explicit sim_process(const std::string& cli, int cpu = -1);
    ~sim_process();
    sim_process(const sim_process&) = delete;
    sim_process& operator=(const sim_process&) = delete;

    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }

    // A client config for the generated merchant: platform certificate trusted, no backup host.
    wechatpay::client_config client_config() const;
    // The control API (/sim/...), unsigned, on a fresh TLS connection; returns the body.
    std::string control(std::string_view method, std::string_view target, std::string body = {}) const;
    boost::json::object stats() const;
    // A NOTPAY order of the generated merchant (a Native prepay), paid through /sim when asked.
    void create_order(const std::string& out_trade_no, std::int64_t total, bool paid = false) const;
    // Handshakes seen so far, full + resumed.
    std::uint64_t handshakes() const;
    double cpu_seconds() const;  // the simulator's user+system CPU so far

private:
    void stop() noexcept;  // ends the process (if any) and removes its files
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::filesystem::path dir_;
};

double process_cpu_seconds(pid_t pid);
// Pins the calling thread (and the threads and children it starts later) to one core.
void pin_to_cpu(int cpu);  // user+system, from /proc/PID/stat
double self_cpu_seconds();              // this process, every thread (getrusage RUSAGE_SELF)
double self_system_seconds();           // of which in the kernel
double thread_cpu_seconds();            // the calling thread only
std::size_t rss_bytes();                // VmRSS of this process
std::size_t peak_rss_bytes();           // VmHWM: the most VmRSS has been since the last reset
void reset_peak_rss();                  // VmHWM := VmRSS now (/proc/self/clear_refs, Linux ≥ 4.0)
std::size_t open_fds();                 // entries of /proc/self/fd
std::size_t open_sockets();             // of which sockets

// CPU seconds of one RSA-2048 SHA-256 signature and of one verification with `key` (WeChat
// Pay's keys are the same size), each measured alone in CPU time, not wall time, so that a busy
// machine does not inflate them.
struct crypto_costs {
    double sign = 0, verify = 0;
};
crypto_costs measure_crypto(const wechatpay::private_key& key);

// An error by category and code ("wechatpay: malformed JSON"), with WeChat's code for API errors:
// what the benchmarks count failures by.
std::string outcome_name(const wechatpay::error& e);

// The q-quantile (0 ≤ q ≤ 1) of `values`, which it sorts.
double percentile(std::vector<double>& values, double q);

// "--name value" pairs after argv[0]; a flag without a value maps to "".
struct options {
    options(int argc, char** argv);
    std::string get(std::string_view name, std::string fallback = {}) const;
    long number(std::string_view name, long fallback) const;
    bool has(std::string_view name) const;
    // A comma-separated list of numbers ("1,16,64"), or `fallback` when absent.
    std::vector<long> numbers(std::string_view name, std::vector<long> fallback) const;

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace bench
