// Fault injection: each named fault breaks exactly one clause of the documented behaviour.
#pragma once

#include <set>
#include <string>

namespace dsmock::detail {

enum class Fault {
  CancelStaysActive,
  CancelAnyState,
  FailSetsCanceled,
  FailLosesMessage,
  ClientTokenIgnored,
  KeepaliveNoExtend,
  EarlyExpiry,
  NeverExpire,
  DeleteNoop,
  UnknownId500,
  WrongErrorType,
  ListShowsOthers,
  ListFilterIgnored,
  CreateUnknownItemOk,
  KeepaliveDropsProgress,
  BadDatetime,
  WrongSuccessStatus,
  NoAuth,
  TokenRace,
  FilePrepareStuck,
  FileUnknownNameOk,
  // The JSON-RPC binding only (POST /api).
  RpcBareOptional,
  RpcUnwrappedStructure,
  RpcDatetimeOffset,
  RpcErrorHttpStatus,
  RpcIdNotEchoed,
  RpcVoidEmptyObject,
  RpcAnyVersion,
  RpcNoVersion,
  RpcUnknownServiceProtocolError,
  // Races: only concurrent calls hit them (FaultInfo::race).
  KeepaliveCancelRace,
  DeleteGetRace,
  ProgressLostUpdate,
  Count_
};

class Faults {
 public:
  Faults() = default;
  // Throws std::invalid_argument naming the first unknown fault.
  explicit Faults(const std::set<std::string>& names);
  bool has(Fault f) const { return (bits_ >> static_cast<unsigned>(f)) & 1u; }

 private:
  unsigned long bits_ = 0;
};

}  // namespace dsmock::detail
