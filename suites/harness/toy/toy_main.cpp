// toy-server: the toy widget service (toy_spec.json) on 127.0.0.1, for the CLI test.
// Prints its base URL on the first line of stdout, then serves until killed.
//   toy-server [--port N] [--fault NAME]... [--list-faults]
// Exit: 0 after --list-faults, 2 bad usage (unknown flag or fault), 3 cannot listen.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "toy_server.hpp"

int main(int argc, char** argv) {
  toy::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--list-faults") {
      for (const auto& [name, clause] : toy::faults())
        std::cout << name << "\t" << clause << "\n";
      return 0;
    } else if (a == "--fault" && i + 1 < argc) {
      o.faults.insert(argv[++i]);
    } else if (a == "--port" && i + 1 < argc) {
      o.port = std::atoi(argv[++i]);
    } else {
      std::cerr << "toy-server: unknown argument '" << a
                << "' (usage: toy-server [--port N] [--fault NAME]... [--list-faults])\n";
      return 2;
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // the server's threads inherit the mask
  try {
    toy::Server server(o);
    std::cout << server.url() << std::endl;
    int sig = 0;
    sigwait(&stop, &sig);
  } catch (const std::invalid_argument& e) {
    std::cerr << "toy-server: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "toy-server: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
