// Everything of wechatpay-asio in one include.
#pragma once

#include <wechatpay/certificate_source.hpp>
#include <wechatpay/config.hpp>
#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/payment_params.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/upload.hpp>
#include <wechatpay/verifier.hpp>
