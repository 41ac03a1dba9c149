// Boost.URL's implementation, compiled into the fuzz library with the sanitizers and libFuzzer's
// coverage instrumentation (the system libboost_url is not instrumented).
#include <boost/url/src.hpp>
