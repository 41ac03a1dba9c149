#include <wechatpay/payment_params.hpp>

#include <boost/json.hpp>

namespace wechatpay {

std::string to_json(const app_payment& p) {
    return boost::json::serialize(boost::json::object{
        {"appid", p.appid},       {"partnerid", p.partnerid}, {"prepayid", p.prepayid},
        {"package", p.package},   {"noncestr", p.noncestr},   {"timestamp", p.timestamp},
        {"sign", p.sign}});
}

std::string to_json(const jsapi_payment& p) {
    return boost::json::serialize(boost::json::object{
        {"appId", p.appId},       {"timeStamp", p.timeStamp}, {"nonceStr", p.nonceStr},
        {"package", p.package},   {"signType", p.signType},   {"paySign", p.paySign}});
}

}  // namespace wechatpay
