#include "server/forward/gateway.h"

namespace hail::server::forward {

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kEmail:
      return "email";
    case Channel::kSms:
      return "sms";
    case Channel::kFax:
      return "fax";
  }
  return "unknown";
}

}  // namespace hail::server::forward
