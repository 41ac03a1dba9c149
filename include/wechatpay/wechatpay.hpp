// Everything of wechatpay-asio in one include.
#pragma once

#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/payment_params.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>
