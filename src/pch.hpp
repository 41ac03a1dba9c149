// Precompiled for the library's and the simulator's sources: the heavy Asio, Beast and JSON
// headers, parsed once per build instead of once per file (builds run on 2 cores).
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
