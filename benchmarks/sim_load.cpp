// Load on the simulator as a separate process: N signed queries over C keep-alive connections
// from the client, then the simulator's own CPU time per request (from /proc) beside the floor
// it cannot go below — one RSA-2048 verify (the request) and one sign (the answer), measured in
// this process in the same run. Also checks that nothing failed and no connection leaked.
//
//   sim_load --cli PATH/wechatpay [--requests N] [--connections C] [--threads T] [--out PREFIX]
#include <wechatpay/client.hpp>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

namespace asio = boost::asio;
using namespace wechatpay;
using clock_type = std::chrono::steady_clock;

namespace {

// The simulator's user+system CPU seconds, from /proc/PID/stat (fields 14 and 15).
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// CPU seconds per (one verify + one sign) on this machine: the simulator's floor per request.
// CPU time, not wall time, so that a busy machine does not inflate it.
double crypto_floor(const private_key& key) {
    const std::string msg = "GET\n/v3/pay/transactions/out-trade-no/X?mchid=1\n1\nnonce\n\n";
    const auto sig = key.sign_sha256(msg).value();
    const auto pub = key.public_part();
    const int n = 400;
    const double start = thread_cpu_seconds();
    for (int i = 0; i < n; ++i) {
        if (!pub.verify_sha256(msg, sig)) std::abort();
        if (!key.sign_sha256(msg)) std::abort();
    }
    return (thread_cpu_seconds() - start) / n;
}

// GET /sim/stats (unsigned control API) on a fresh TLS connection.
std::string sim_stats(std::uint16_t port, const std::filesystem::path& ca) {
    namespace beast = boost::beast;
    asio::io_context ioc;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file(ca.string());
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    stream.handshake(asio::ssl::stream_base::client);
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/sim/stats", 11};
    req.set(beast::http::field::host, "127.0.0.1");
    beast::http::write(stream, req);
    beast::flat_buffer buf;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(stream, buf, res);
    return res.body();
}

std::string read_line(int fd) {
    std::string line;
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') line += c;
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cli, out;
    int requests = 20000, connections = 200;
    unsigned threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--cli") cli = argv[i + 1];
        else if (a == "--requests") requests = std::stoi(argv[i + 1]);
        else if (a == "--connections") connections = std::stoi(argv[i + 1]);
        else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
        else if (a == "--out") out = argv[i + 1];
    }
    if (cli.empty()) return std::cerr << "usage: sim_load --cli PATH/wechatpay [...]\n", 2;

    // The simulator in its own process, with generated keys.
    const auto dir = std::filesystem::temp_directory_path() / ("wechatpay-sim-load-" + std::to_string(getpid()));
    int pipe_fd[2];
    if (pipe(pipe_fd) != 0) return 1;
    const pid_t sim = fork();
    if (sim == 0) {
        dup2(pipe_fd[1], 1);
        close(pipe_fd[0]);
        execl(cli.c_str(), cli.c_str(), "sim", "--generate", dir.c_str(), "--max-seconds", "600", nullptr);
        _exit(127);
    }
    close(pipe_fd[1]);
    const std::string start_line = read_line(pipe_fd[0]);
    const auto colon = start_line.find("127.0.0.1:");
    if (colon == std::string::npos) return std::cerr << "simulator did not start\n", 1;
    const auto port = static_cast<std::uint16_t>(std::stoi(start_line.substr(colon + 10)));

    client_config cfg;
    cfg.mchid = "1900000001";
    cfg.appid = "wxd678efh567hg6787";
    cfg.merchant_key = private_key::from_file(dir / "apiclient_key.pem").value();
    cfg.merchant_certificate = certificate::from_file(dir / "apiclient_cert.pem").value();
    cfg.wechatpay_certificates = {certificate::from_file(dir / "platform_cert.pem").value()};
    cfg.endpoint = {"127.0.0.1", "", port, dir / "tls" / "ca.pem"};
    cfg.pool.max_sessions = static_cast<std::size_t>(connections);
    const double floor = crypto_floor(*cfg.merchant_key);

    asio::io_context ioc;
    auto wechat = std::make_unique<client>(ioc.get_executor(), cfg);
    std::atomic<int> next{0}, errors{0};
    // One order to query; every request is a signed GET answered with a signed 200.
    prepay_request order;
    order.description = "load";
    order.out_trade_no = "LOAD" + std::to_string(getpid());
    order.notify_url = "https://127.0.0.1:9/notify";
    order.amount.total = 1;
    auto prepared = asio::co_spawn(ioc, wechat->prepay_native(order), asio::use_future);
    ioc.run();
    if (!prepared.get()) return std::cerr << "prepay failed\n", 1;
    ioc.restart();

    auto worker = [&]() -> asio::awaitable<void> {
        while (next++ < requests)
            if (!co_await wechat->query_by_out_trade_no(order.out_trade_no)) ++errors;
    };
    const double cpu_before = cpu_seconds(sim);
    const auto t0 = clock_type::now();
    for (int c = 0; c < connections; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&] { ioc.run(); });
    for (auto& t : pool) t.join();
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double sim_cpu = cpu_seconds(sim) - cpu_before;
    const auto st = wechat->stats();
    wechat.reset();  // closes the pooled connections: the simulator must see none left open
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string stats = sim_stats(port, dir / "tls" / "ca.pem");

    std::printf("requests %d, connections %d, client io threads %u\n", requests, connections, threads);
    std::printf("throughput %.0f req/s, errors %d, client connects %llu\n", requests / seconds, errors.load(),
                static_cast<unsigned long long>(st.connects));
    std::printf("simulator stats after the client closed: %s\n", stats.c_str());
    std::printf("simulator CPU per request %.3f ms; floor (1 verify + 1 sign) %.3f ms; ratio %.2f\n",
                1000 * sim_cpu / requests, 1000 * floor, sim_cpu / requests / floor);
    if (!out.empty())
        std::ofstream(out + ".json") << "{\"requests\":" << requests << ",\"connections\":" << connections
                                     << ",\"req_per_s\":" << requests / seconds << ",\"errors\":" << errors.load()
                                     << ",\"sim_cpu_ms_per_request\":" << 1000 * sim_cpu / requests
                                     << ",\"floor_ms\":" << 1000 * floor << "}\n";
    kill(sim, SIGTERM);
    waitpid(sim, nullptr, 0);
    std::filesystem::remove_all(dir);
    return errors == 0 ? 0 : 1;
}
