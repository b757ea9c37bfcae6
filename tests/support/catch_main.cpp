// The one main() of every Catch2 test executable (chu-catch-main); its include root, tests/, finds support/.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
