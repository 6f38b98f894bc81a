#include "commands/commands.hpp"
