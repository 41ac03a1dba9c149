#include "bench_support.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <ctime>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;

namespace {

std::string read_line(int fd) {
    std::string line;
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') line += c;
    return line;
}

double seconds_of(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// A field of /proc/self/status in kB ("VmRSS:  1234 kB"), as bytes.
std::size_t status_kb(std::string_view field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(field)) return std::stoull(line.substr(field.size() + 1)) * 1024;
    return 0;
}

}  // namespace

// ---- the simulator process -------------------------------------------------------------

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("sched_setaffinity failed");
}

sim_process::sim_process(const std::string& cli, int cpu) {
    static int count = 0;
    dir_ = fs::temp_directory_path() /
           ("wechatpay-bench-" + std::to_string(getpid()) + "-" + std::to_string(count++));
    int pipe_fd[2];
    if (pipe(pipe_fd) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
        dup2(pipe_fd[1], 1);
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof set, &set);
        }
        close(pipe_fd[0]);
        close(pipe_fd[1]);
        execl(cli.c_str(), cli.c_str(), "sim", "--generate", dir_.c_str(), "--max-seconds", "3600", nullptr);
        _exit(127);
    }
    close(pipe_fd[1]);
    const std::string line = read_line(pipe_fd[0]);
    close(pipe_fd[0]);  // the simulator prints nothing more on stdout
    const auto at = line.find("127.0.0.1:");
    if (pid_ > 0 && at != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::atoi(line.c_str() + at + 10));
        if (port_ != 0) return;
    }
    stop();  // the destructor of a half-made object does not run: no orphan, no stray files
    throw std::runtime_error("simulator did not start: " + cli);
}

sim_process::~sim_process() { stop(); }

void sim_process::stop() noexcept {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

wechatpay::client_config sim_process::client_config() const {
    using namespace wechatpay;
    wechatpay::client_config cfg;
    cfg.mchid = "1900000001";  // what --generate writes
    cfg.appid = "wxd678efh567hg6787";
    cfg.merchant_key = private_key::from_file(dir_ / "apiclient_key.pem").value();
    cfg.merchant_certificate = certificate::from_file(dir_ / "apiclient_cert.pem").value();
    cfg.wechatpay_certificates = {certificate::from_file(dir_ / "platform_cert.pem").value()};
    cfg.endpoint = {"127.0.0.1", "", port_, dir_ / "tls" / "ca.pem"};
    return cfg;
}

std::string sim_process::control(std::string_view method, std::string_view target, std::string body) const {
    asio::io_context ioc;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file((dir_ / "tls" / "ca.pem").string());
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port_});
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    if (res.result_int() != 200)
        throw std::runtime_error("simulator " + std::string(target) + ": " + res.body());
    return res.body();
}

void sim_process::create_order(const std::string& out_trade_no, std::int64_t total, bool paid) const {
    asio::io_context ioc;
    wechatpay::client wechat(ioc.get_executor(), client_config());
    wechatpay::prepay_request order;
    order.description = "bench";
    order.out_trade_no = out_trade_no;
    order.notify_url = "https://127.0.0.1:9/notify";
    order.amount.total = total;
    auto done = asio::co_spawn(ioc, wechat.async_prepay_native(std::move(order)), asio::use_future);
    ioc.run();
    if (!done.get()) throw std::runtime_error("could not create order " + out_trade_no);
    if (paid) control("POST", "/sim/orders/" + out_trade_no + "/pay", R"({"mchid":"1900000001"})");
}

boost::json::object sim_process::stats() const {
    return boost::json::parse(control("GET", "/sim/stats")).as_object();
}

std::uint64_t sim_process::handshakes() const {
    const auto st = stats();
    const auto& hs = st.at("tls_handshakes").as_object();
    return hs.at("full").to_number<std::uint64_t>() + hs.at("resumed").to_number<std::uint64_t>();
}

double sim_process::cpu_seconds() const {
    return process_cpu_seconds(pid_);
}

// ---- process measurements ----------------------------------------------------------------

double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), {});
    // Fields 14 and 15 (utime, stime), counted after the command name's closing parenthesis.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
}

double self_system_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return seconds_of(ru.ru_stime);
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::size_t rss_bytes() {
    return status_kb("VmRSS:");
}

std::size_t peak_rss_bytes() { return status_kb("VmHWM:"); }

void reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    if (!clear.flush()) throw std::runtime_error("cannot reset the peak RSS (/proc/self/clear_refs)");
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n - 1;  // the directory iterator's own descriptor
}

std::size_t open_sockets() {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/self/fd"))
        if (fs::read_symlink(e.path(), ec).string().starts_with("socket:")) ++n;
    return n;
}

crypto_costs measure_crypto(const wechatpay::private_key& key) {
    const auto pub = key.public_part();
    const std::string msg = "GET\n/v3/pay/transactions/out-trade-no/X?mchid=1\n1700000000\nnonce\n\n";
    const auto sig = key.sign_sha256(msg).value();
    crypto_costs c;
    const int signs = 300, verifies = 3000;
    double start = thread_cpu_seconds();
    for (int i = 0; i < signs; ++i)
        if (!key.sign_sha256(msg)) throw std::runtime_error("sign failed");
    c.sign = (thread_cpu_seconds() - start) / signs;
    start = thread_cpu_seconds();
    for (int i = 0; i < verifies; ++i)
        if (!pub.verify_sha256(msg, sig)) throw std::runtime_error("verify failed");
    c.verify = (thread_cpu_seconds() - start) / verifies;
    return c;
}

std::string outcome_name(const wechatpay::error& e) {
    std::string s = std::string(e.code.category().name()) + ": " + e.code.message();
    if (!e.api_code.empty()) s += " " + std::to_string(e.http_status) + " " + e.api_code;
    return s;
}

double percentile(std::vector<double>& values, double q) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::min(values.size() - 1, i == 0 ? 0 : i - 1)];
}

// ---- options ------------------------------------------------------------------------------

options::options(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string name = argv[i];
        if (!name.starts_with("--")) throw std::runtime_error("unexpected argument: " + name);
        const bool has_value = i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--");
        items_.emplace_back(name.substr(2), has_value ? argv[++i] : "");
    }
}

std::string options::get(std::string_view name, std::string fallback) const {
    for (const auto& [k, v] : items_)
        if (k == name) return v;
    return fallback;
}

long options::number(std::string_view name, long fallback) const {
    const auto v = get(name);
    return v.empty() ? fallback : std::stol(v);
}

std::vector<long> options::numbers(std::string_view name, std::vector<long> fallback) const {
    const auto v = get(name);
    if (v.empty()) return fallback;
    std::vector<long> out;
    std::istringstream in(v);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::stol(item));
    return out;
}

bool options::has(std::string_view name) const {
    return std::any_of(items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == name; });
}

}  // namespace bench
