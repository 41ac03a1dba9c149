// What an app or a page needs to open WeChat's payment sheet after a prepay (reference §8).
// Produced by signer::app_payment_for / jsapi_payment_for; hand to_json() to the front end.
#pragma once

#include <string>

namespace wechatpay {

// For the APP SDK's PayReq.
struct app_payment {
    std::string appid;
    std::string partnerid;  // the mchid
    std::string prepayid;
    std::string package = "Sign=WXPay";
    std::string noncestr;
    std::string timestamp;  // Unix seconds, as a string
    std::string sign;       // base64 RSA signature
};

// For wx.requestPayment / WeixinJSBridge (JSAPI and mini-program).
struct jsapi_payment {
    std::string appId;
    std::string timeStamp;
    std::string nonceStr;
    std::string package;  // "prepay_id=<id>"
    std::string signType = "RSA";
    std::string paySign;
};

// Exactly the fields the front end needs, as a JSON object.
std::string to_json(const app_payment& p);
std::string to_json(const jsapi_payment& p);

}  // namespace wechatpay
