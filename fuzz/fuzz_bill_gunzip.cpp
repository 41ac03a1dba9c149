// Feeds: a downloaded bill file to detail::gunzip, which the client uses on bills asked with
// tar_type=GZIP (there is no CSV reader: the client hands the bill over as text after checking
// its SHA1). Expects: the text or malformed_gzip, never a crash, never more than the limit;
// and the input itself, gzipped, inflates back to the same bytes.
#include "fuzz_common.hpp"

#include "core/gzip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t limit = 4 * 1024 * 1024;
    const std::string_view bytes = fuzz::as_view(data, size);
    if (auto text = wechatpay::detail::gunzip(bytes, limit)) fuzz::must(text->size() <= limit, "size limit");
    else fuzz::must(text.error().is(wechatpay::errc::malformed_gzip), "error kind");
    auto round = wechatpay::detail::gunzip(wechatpay::detail::gzip(bytes), limit);
    fuzz::must(round && *round == bytes, "gzip round trip");
    return 0;
}
