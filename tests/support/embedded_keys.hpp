// Small PEM inputs the vectors do not provide, generated once with the openssl command line
// (commands beside each). None of these keys is used anywhere else.
#pragma once

#include <string_view>

namespace wechatpay_test::embedded {

// openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024
inline constexpr std::string_view rsa1024_pkcs8 = R"pem(-----BEGIN PRIVATE KEY-----
MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAPC6muO39QI122Qx
OkGBhwdXn57B2GZXb+rfAvKNeCtiq3RwnnpvaMbF9KEUcP/YFQPPX6IC0w7F8D0h
CZcA1Zii7TCxTtinK9fq+kvGsixmUHCG6kSai1EMLUtgESZAwx9naGIBCVGSMJ9q
yRS6mIddiL7ix+bqs+VRaiUg5VDlAgMBAAECgYEAhRFxuz0d13nz6392x20VOg7K
slRPDct5lyhtlaxz5++j/Tqfr+hTz8TvQ/dru1Ez1KZWI9VR29G4yeGwTmNsrd+f
G9bPMPLnr8JM+O8aQ5vZEX0YqasmdNgCdjxw3bnI9muQdT+yGvxl8JflobIqGddw
wIExAxfj60k/gp5R6qUCQQD+uOABcwh6ZPbE2PDxI+ZjapXp+qnnhktwRSED1C51
DHkXMiipO3HzzUA1cy1EhHAcLsfBKpyWdm4KsJ9GDvorAkEA8e/CYZxJXZherBX0
bqiFTG9IKiVTbWf3wyjQzKxgx2ezYCtAPvSoMTJCac2ZrJAjFoKBrbSF7daugdvq
rn2pLwJAG8c3jpDn7MkT7DWoWPPMTS0zehe+7aPEmFLBnfRGuLcKgZATxRjZfXf1
t55+4kj7HOexGwy1lOcHax0F0ZMSjwJBAK3GWedEm4nHpNCUIHLPRpeFIt9q2gau
c87Q5VDty8HOoY/E4SuXDavwfrWCQQwqp5lGeiCrlrsjxUpvDJzyk28CQQCqbBzC
1r9QEXrNGp4g0B8IndKWM6iX7GlDqlN7f+BFH3Jor7ionlFkadVE+ZWwcZVQYRf+
ssxGkmxkOyY+rv93
-----END PRIVATE KEY-----
)pem";

// openssl pkey -in rsa1024_pkcs8.pem -traditional
inline constexpr std::string_view rsa1024_pkcs1 = R"pem(-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDwuprjt/UCNdtkMTpBgYcHV5+ewdhmV2/q3wLyjXgrYqt0cJ56
b2jGxfShFHD/2BUDz1+iAtMOxfA9IQmXANWYou0wsU7YpyvX6vpLxrIsZlBwhupE
motRDC1LYBEmQMMfZ2hiAQlRkjCfaskUupiHXYi+4sfm6rPlUWolIOVQ5QIDAQAB
AoGBAIURcbs9Hdd58+t/dsdtFToOyrJUTw3LeZcobZWsc+fvo/06n6/oU8/E70P3
a7tRM9SmViPVUdvRuMnhsE5jbK3fnxvWzzDy56/CTPjvGkOb2RF9GKmrJnTYAnY8
cN25yPZrkHU/shr8ZfCX5aGyKhnXcMCBMQMX4+tJP4KeUeqlAkEA/rjgAXMIemT2
xNjw8SPmY2qV6fqp54ZLcEUhA9QudQx5FzIoqTtx881ANXMtRIRwHC7HwSqclnZu
CrCfRg76KwJBAPHvwmGcSV2YXqwV9G6ohUxvSColU21n98Mo0MysYMdns2ArQD70
qDEyQmnNmayQIxaCga20he3WroHb6q59qS8CQBvHN46Q5+zJE+w1qFjzzE0tM3oX
vu2jxJhSwZ30Rri3CoGQE8UY2X139beefuJI+xznsRsMtZTnB2sdBdGTEo8CQQCt
xlnnRJuJx6TQlCByz0aXhSLfatoGrnPO0OVQ7cvBzqGPxOErlw2r8H61gkEMKqeZ
Rnogq5a7I8VKbwyc8pNvAkEAqmwcwta/UBF6zRqeINAfCJ3SljOol+xpQ6pTe3/g
RR9yaK+4qJ5RZGnVRPmVsHGVUGEX/rLMRpJsZDsmPq7/dw==
-----END RSA PRIVATE KEY-----
)pem";

// openssl ecparam -name prime256v1 -genkey -noout
inline constexpr std::string_view ec_p256_sec1 = R"pem(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIG3SGSq9I7qO1rHWUCEG1ZIKFkenE6eNxlIuku7eUOt5oAoGCCqGSM49
AwEHoUQDQgAEOhFAEjdI2qLWt0RmWzEeMlygq0DQMltoPB4P0cO56yN3HUwBHJDT
CPQYLBP40DM9E4gJ7gCxjZdI+2dJgBP6wA==
-----END EC PRIVATE KEY-----
)pem";

// openssl pkey -in ec_p256_sec1.pem
inline constexpr std::string_view ec_p256_pkcs8 = R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbdIZKr0juo7WsdZQ
IQbVkgoWR6cTp43GUi6S7t5Q63mhRANCAAQ6EUASN0jaota3RGZbMR4yXKCrQNAy
W2g8Hg/Rw7nrI3cdTAEckNMI9BgsE/jQMz0TiAnuALGNl0j7Z0mAE/rA
-----END PRIVATE KEY-----
)pem";

// openssl pkey -in ec_p256_sec1.pem -pubout
inline constexpr std::string_view ec_p256_public = R"pem(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOhFAEjdI2qLWt0RmWzEeMlygq0DQ
MltoPB4P0cO56yN3HUwBHJDTCPQYLBP40DM9E4gJ7gCxjZdI+2dJgBP6wA==
-----END PUBLIC KEY-----
)pem";

// openssl genpkey -algorithm ED25519
inline constexpr std::string_view ed25519_pkcs8 = R"pem(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIGTEUxcqwZ7MaY7+kdOShZnIPHszymqDYoYRpsdYHq69
-----END PRIVATE KEY-----
)pem";

// openssl pkcs8 -topk8 -v2 aes-256-cbc -in doc_test_private_key_pkcs8.pem -passout pass:x
inline constexpr std::string_view encrypted_pkcs8 = R"pem(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIFLTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIlB4km/y8DZcCAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBDeBQNDNT1fkMiuvck/D6TUBIIE
0OYn+nd0ZWTykVJljYohbmAgTDRDmmH5EVRGwy+/0r1Su8If1B4gf0BKyzjsywUN
thv7ciRgWPvD11ChkyH0q+aT+7CqsxLh6zBTMd4tqqY3eFycEGnsuTpCN+IntqV+
BThg42HRoZ0Mene5dtE1VxjMEyqcCWKye9kteDA3HOGwqeITMB8IzGDM9SkqyrSC
WAWh157i4Vj3F4rCIVZrQbeLupUZeAJN6k9MVgtpHOcp5qlK2exUN6qrI5mHKe0p
fImXOZ55z0jWt3O+hQH6cQ2Z5mRp3bxY+HTsQbiobtgsrsfysykYRlpbWm4fDUo1
Wr2tornHxdgcD6t3d3X1VocAFSJEfqEDEaFTvfvNRBT7hSZPjjMsRODoAd6yFESC
uDbQUO02ocXBD0PcJL2GgUmNy7sAl/ay8QdipI8MiUwQBc2U7KB4v36KaXN0uc/2
2R+dEonN1qmr6eATKNfaRnQ5FckIFhIfRM+nkdKETwfcZiHibFfPs3m+dmRXhIly
FZ3BKoty0aX04kLWnhpWqzg6TpBFEAoRWkg0+1QVP6D42F+Cb+6VmfT3J8T8qIC2
vzrXiBg3Bw4zLPsFYsrlcpRnXD4KVWwWi6aJJfUs1hD9AOjgG41pghOwSYIdHYan
aXHS/599UNCUcvSVphji/vYQuwMG82ESpztHmMg7quJI2TO0V++HhBotOx5DS94w
nuo7tN853ZF+RnY1TthiJocw8EePmiCm9EwtVjYHU5L1J19VenmJeG2FIwYRk09C
59qJkU51xYcUjKdJ9o7CKOaA38p8QNph+VVuktUBTPOOTFyYujMV0wZb+TcL7Mb2
s5VHXxFbql8lzeDI2GYTXb71IDZOGCqcNZ30K+s7XhB5iVAma6stknMsMEfTqr9y
N5zyOvMttTFRLXxPv8t2XDO6Nm0fNvHXFygx9V4lrDp+h/9RNT7lPTIBZ+N11kZm
3H2doqWySUDTHvW7O2E6G9GYP8knsJqxi2X/YDGVHZYLIVljKjiV0St3PQq5YmkE
S3ZEzPOm/btXEuyZG03v98lHJfVvYQdVyd0Ax4GhiiTHVqVEp9PpYawWIsr2pSN9
8ef0zGZoOaGH+ayON4pji0s76tK1DSF/Mf2/dWI7aSVigQZOhbVslMUZdRA/miF6
zi3PENXYc91Btsgc60L8F0UUU91tKBHx6sc7BjnBVozHHpDEevVw3xs3AKoHo0Qo
mcHJefU2FVzMRLQl815HtHh/l6W5jEoMfH9/oQx/KoJvQGg4C7WsPIPKCs+sOGVX
tqs5iynoxMei+PS+2iKN4v+J3MvTikn8xj5pbSeIj2rePT4c20OsR8C5Vimh+9KS
1ro2kw7Ehw0MRDKPj+6vV9MjkYXy1FeUzXli4SuXiuYZeQLdLsPiK2gRGZKj8lAQ
zL4Bh3lyQ9mFdZHBP7rBnkmV95Q/+gTKkFrhfFHfAOX3z4TRlSWWkr3HlVTb82gf
ZSK1nBrmEYhaKoNlIGHtcOuL1E254kYAfn0Wi9xadnxfMO0SvnOBUsae9cpEmGD9
knr72mZeu6sQjArXjGtzC7sTxSImP8ivf9MWuuxJitjznklcBWs68d2XNUOCnUIS
7p41Uv3hA5PCkJtXpVUjx/GAS+/UWALNieWfVGbUnTuo
-----END ENCRYPTED PRIVATE KEY-----
)pem";

// openssl rsa -in doc_test_private_key_pkcs8.pem -aes256 -passout pass:x -traditional
inline constexpr std::string_view encrypted_pkcs1 = R"pem(-----BEGIN RSA PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-256-CBC,2205F299E3143237E390E7C1A0C3D6B4

RG64eQkxzXAJJKm6GP8C/Fj/NmbDEbBUHPx1Bpe5nfAqoOrtYjIgDU0O/kBa3poO
sxS1eEgRGp2SyOypDa/J10a2kmz+DlNRNiSfhYOpz0d/49SSOOZO62lOhbHxv/fg
EQzAr34QH1SQjy8hwYu1nMc7vhapkPUMjv0PT5JQoiaOajATv2IxxlsTmzOEWYLC
w+IMnB2DLe42US+s+dJ3CBmOcVoz/Cvb+ZGBF1oUb+QZ8eJ03zBwtnXeZc4XiIxY
NTWleSU7iT2at8Q/3gqHfQob6yA1Enk99y/6pWpU3MOmhiwinRdiJzvaOdyzPptn
CU970V+biqJOvLM+MkmtMUgpeYOyolcNPxdYHIHVmKG/afNUYNVUgyXg7clbD4XD
b6h2BEtnkisf6AW1NxHBGR0oJVj0Pb5axRHY2aMyRMib/VAqRDMmAmMu05IAqg2G
aFpU05ujRVu8J2iW0sc/p8F/Kh8FGvOr9s/hvlyDZzyl6U9VkyaoJ+wBs7oHZuum
pI0D6vwcsuxLl+2xOCcVoFkcNM+IPfTGkBbak89dJSP7f2zGTXhmOK0hf8LsYBGz
EBseweCQcDcMCULa0YldFy4ToyeNnMq3PdzjmSmDm2s0rA8z3wmZMgQtFoNyaghn
VEt69KaRLg1COdzFfXLgCj9sUC53qq69wZnTvrdWVPvmnJjTmYPJHpQMTsx8GM5D
MDYn8imXyZALHDwl5HpYrlgFNkfJqe7t9SRsZDxpIJqJMbGU2dSkDKRW6K/sIqWr
LY0YgVrVN25s4vCiYVzBRcVjZj/KRh5wPCOwkECY8PEeFJ76u9IpM19dyTcolZNq
waUK5IVb4eMbU+YX0mpBPdLUR6PuZ7GI1irReLPZPeuXAUU9rW995ltLol3LB2w2
gN9YMyvuju/YpVBWP26lhK3XJLYiD9IHNajcts9tzxGeh6YVXd+jfPcXt+kNp+1G
S+XnBvY40o5N93cjqMZU9iiGRjBQ9qgWR4eSd0tFK/MCH8Iqw3YRsI/yRieDH5W7
tqJHoGHdSqBLCaOqXRGUsEkWc98PiZbKT6EfHhXd937vq+E5tVzwqAhLWK9Ppv8V
XTpifj8QVboQ9KeaNq3QWe7f8QIzYw0upZFfic4tU7MhFfZ4GvJYCCXRYOyDIqt8
2T1D5Hr9/VO7D5PPaTZ64zrgXEcoxJtPH+Q88dnypjrQ1AJ1MlQ5Ynld3JxHXvjI
0WANY8QgJjRMrwZQRjvUTaTHSSXilCVN1XgDVcXWekH/G/Gcff3xcKcBhxJgPNb/
zkZ0DrFoKEUJluFjJWjkw4vmKV+VBPDewgGIYSCaTTSOF6cJTnjci73W7kmBN3+v
kXRNMV1ICcm1r89NLOA/P+WIqK22qU7tEgkHNWArTKrJKbNPo8ZyabbOajcMcNOF
MegFV/7LncPG5ONFc4u0JpcYXL94JJXrbiWFEtIcRvhpbE7BnOBClYLbDR4MDezf
Hg5TY0KQHWI9S+9dGUMcMtaSJOReC7Ow12s23QQvdJtbpSQfCtAdDxDxBYOZNOIL
NEE8lRRb+rh9u8iRqv3ht84noXxlllxNPZb9X8Se4a3ho7wbI3EWekW6ivajepUb
-----END RSA PRIVATE KEY-----
)pem";

}  // namespace wechatpay_test::embedded
