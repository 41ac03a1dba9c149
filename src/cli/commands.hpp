// The verbs, one `command` each; main.cpp lists them in its table.
#pragma once

#include "args.hpp"

namespace wechatpay::cli {

// sign_commands.cpp: the merchant's signatures
extern const command sign_command;
extern const command pay_params_command;
// verify_commands.cpp: WeChat Pay's signatures and keys
extern const command verify_command;
extern const command notify_command;
extern const command serial_command;
// crypto_commands.cpp: AES-GCM with the APIv3 key, RSA-OAEP for sensitive fields
extern const command decrypt_command;
extern const command encrypt_command;
extern const command oaep_encrypt_command;
extern const command oaep_decrypt_command;
// sim_commands.cpp: the WeChat Pay simulator
extern const command sim_command;
// client_commands.cpp: talking to WeChat Pay
extern const command request_command;
extern const command certificates_command;
extern const command bill_command;
// complaint_commands.cpp: customer complaints ("complaints list" …: two words)
extern const command complaints_list_command;
extern const command complaints_show_command;
extern const command complaints_respond_command;
extern const command complaints_complete_command;
// transfer_commands.cpp: merchant transfer bills (payouts)
extern const command transfer_command;

}  // namespace wechatpay::cli
