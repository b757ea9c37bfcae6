# daemon/core is pure: compiled with chu-core's own include path, a core header builds, an adapter header
# is not found, and no core file includes a header of the bus, the mesh, systemd or the OS.
# cmake -DCXX=... -DCORE=daemon/core -DINCLUDES="dir;..." -DWORK=dir -P check.cmake
set(flags -std=c++17 -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
  list(APPEND flags "-I${dir}")
endforeach()
file(MAKE_DIRECTORY "${WORK}")

file(WRITE "${WORK}/core_header.cpp" "#include \"${CORE}/node.hpp\"\n")
execute_process(COMMAND ${CXX} ${flags} "${WORK}/core_header.cpp" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a core header does not build on chu-core's include path alone:\n${err}")
endif()

# Beside a copy of the core's files, as a core file is, so that the quote search is the one core files get.
file(REMOVE_RECURSE "${WORK}/core")
file(COPY "${CORE}" DESTINATION "${WORK}")
file(WRITE "${WORK}/core/probe.cpp" "#include \"node.hpp\"\n#include \"config/plan_file.hpp\"\n")
execute_process(COMMAND ${CXX} ${flags} "${WORK}/core/probe.cpp" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "config/plan_file.hpp")
  message(FATAL_ERROR "a core file can include an adapter header (config/plan_file.hpp):\n${err}")
endif()

file(GLOB sources "${CORE}/*.hpp" "${CORE}/*.cpp")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "^#include <(sdbus|zmq|systemd/|sys/|unistd|fcntl|fstream|iostream|cstdio|thread|chrono)")
  if(lines)
    message(FATAL_ERROR "${source} includes what the core must not (I/O, bus, mesh, systemd, threads, clocks): ${lines}")
  endif()
endforeach()
message(STATUS "daemon/core: its own include root, no adapter or I/O header")
