#include "server/command_table.h"
#include "server/commands.h"

namespace groupd {

void RegisterAllCommands(CommandTable& table) {
  RegisterConnectionCommands(table);
  RegisterAdminCommands(table);
  RegisterRegistryCommands(table);
  RegisterGroupCommands(table);
  RegisterPubSubCommands(table);
  RegisterClusterCommands(table);
  RegisterAclCommands(table);
  RegisterTransactionCommands(table);
}

}  // namespace groupd
