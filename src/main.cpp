#include "cli/commands.h"

int main(int argc, char** argv) {
  return config_init::cli::main(argc, argv);
}
