// Boost.JSON's implementation, compiled into the fuzz library with the sanitizers and libFuzzer's
// coverage instrumentation (the system libboost_json is not instrumented).
#include <boost/json/src.hpp>
