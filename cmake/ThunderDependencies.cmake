# Finds what the build needs and records, for the configure summary, what was found and
# what was left out and why. LibTorch is required (the torch executor and the public API
# use it); Vulkan and CUDA are looked for when their options are on.

set(THUNDER_SUMMARY_LINES)
function(thunder_summary name status detail)
  # A ';' would split the entry: the summary's lines are a CMake list.
  string(REPLACE ";" "," detail "${detail}")
  set(THUNDER_SUMMARY_LINES ${THUNDER_SUMMARY_LINES} "${name}|${status}|${detail}" PARENT_SCOPE)
endfunction()

# LibTorch: from the torch wheel of the Python on PATH unless Torch_DIR or
# CMAKE_PREFIX_PATH already point at one.
if(NOT Torch_DIR)
  find_package(Python3 COMPONENTS Interpreter QUIET)
  if(Python3_Interpreter_FOUND)
    execute_process(
      COMMAND "${Python3_EXECUTABLE}" -c "import torch; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE THUNDER_TORCH_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _thunder_torch_rc ERROR_QUIET)
    if(_thunder_torch_rc EQUAL 0)
      list(APPEND CMAKE_PREFIX_PATH "${THUNDER_TORCH_PREFIX}")
    endif()
  endif()
endif()
find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "thunder: LibTorch not found. Install the torch wheel (pip install torch==2.13.0, or run "
    "tools/bootstrap.sh) or pass -DTorch_DIR=<libtorch>/share/cmake/Torch.")
endif()
# The core never includes torch headers, but it shares std::string with the torch edge:
# both sides must use LibTorch's C++ ABI.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  add_compile_definitions(_GLIBCXX_USE_CXX11_ABI=0)
endif()
thunder_summary("LibTorch" "found" "${Torch_VERSION} at ${Torch_DIR}")

find_package(nlohmann_json 3 QUIET)
if(NOT nlohmann_json_FOUND)
  message(FATAL_ERROR "thunder: nlohmann-json not found (nlohmann-json3-dev); run tools/bootstrap.sh")
endif()
thunder_summary("nlohmann-json" "found" "${nlohmann_json_VERSION}")

# Vulkan stack for the spirv executor.
set(THUNDER_HAVE_VULKAN OFF)
if(THUNDER_WITH_VULKAN)
  find_package(Vulkan QUIET COMPONENTS glslc)
  find_path(THUNDER_VOLK_INCLUDE volk.h PATH_SUFFIXES volk)
  find_path(THUNDER_SHADERC_INCLUDE shaderc/shaderc.hpp)
  find_library(THUNDER_SHADERC_LIBRARY NAMES shaderc_shared shaderc_combined)
  # Debian's shaderc (combined and shared alike) leaves glslang out: link it when present.
  # (Debian's glslang CMake config names files it does not install, so find the archives.)
  set(THUNDER_GLSLANG_LIBRARIES)
  foreach(_lib SPIRV glslang MachineIndependent OGLCompiler GenericCodeGen OSDependent)
    find_library(THUNDER_GLSLANG_${_lib} NAMES ${_lib})
    if(THUNDER_GLSLANG_${_lib})
      list(APPEND THUNDER_GLSLANG_LIBRARIES ${THUNDER_GLSLANG_${_lib}})
    endif()
  endforeach()
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(THUNDER_SPIRV_TOOLS QUIET SPIRV-Tools)
  endif()
  set(_missing)
  if(NOT Vulkan_FOUND)
    list(APPEND _missing "Vulkan headers/loader (libvulkan-dev)")
  endif()
  if(NOT Vulkan_glslc_FOUND)
    list(APPEND _missing "glslc (compiles the kernels in shaders/ at build time)")
  endif()
  if(NOT THUNDER_VOLK_INCLUDE)
    list(APPEND _missing "volk (libvulkan-volk-dev)")
  endif()
  if(NOT THUNDER_SHADERC_INCLUDE OR NOT THUNDER_SHADERC_LIBRARY)
    list(APPEND _missing "shaderc (libshaderc-dev)")
  endif()
  if(NOT THUNDER_SPIRV_TOOLS_FOUND)
    list(APPEND _missing "SPIRV-Tools (spirv-tools)")
  endif()
  if(_missing)
    list(JOIN _missing ", " _missing_text)
    thunder_summary("Vulkan stack" "missing" "${_missing_text}; run tools/bootstrap.sh")
  else()
    set(THUNDER_HAVE_VULKAN ON)
    thunder_summary("Vulkan stack" "found"
      "Vulkan ${Vulkan_VERSION}, volk, shaderc, SPIRV-Tools ${THUNDER_SPIRV_TOOLS_VERSION}, glslc")
  endif()
else()
  thunder_summary("Vulkan stack" "off" "THUNDER_WITH_VULKAN=OFF")
endif()

# The cuda executor needs nothing to build: the driver and NVRTC are opened at run time.
# Where NVRTC lives is looked up here (the CUDA toolkit's lib64, the nvidia-cuda-nvrtc pip
# wheel) and handed to the library as a hint; the compile-only tests need it.
set(THUNDER_HAVE_CUDA OFF)
set(THUNDER_NVRTC_HINT_DIRS)
if(THUNDER_WITH_CUDA)
  set(THUNDER_HAVE_CUDA ON)
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    list(APPEND THUNDER_NVRTC_HINT_DIRS "${CUDAToolkit_LIBRARY_DIR}")
  endif()
  find_package(Python3 COMPONENTS Interpreter QUIET)
  if(Python3_Interpreter_FOUND)
    execute_process(
      COMMAND "${Python3_EXECUTABLE}" -c
        "import os, nvidia; print(';'.join(os.path.join(p, d, 'lib') for p in nvidia.__path__ for d in ('cu13', 'cuda_nvrtc')))"
      OUTPUT_VARIABLE _thunder_pip_nvrtc OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _thunder_pip_rc ERROR_QUIET)
    if(_thunder_pip_rc EQUAL 0)
      list(APPEND THUNDER_NVRTC_HINT_DIRS ${_thunder_pip_nvrtc})
    endif()
  endif()
  find_library(THUNDER_NVRTC_LIBRARY NAMES nvrtc libnvrtc.so.13 libnvrtc.so.12
    HINTS ${THUNDER_NVRTC_HINT_DIRS} NO_CACHE)
  if(THUNDER_NVRTC_LIBRARY)
    thunder_summary("cuda executor" "built"
      "driver loaded at run time, NVRTC ${THUNDER_NVRTC_LIBRARY}")
  else()
    thunder_summary("cuda executor" "built"
      "driver and NVRTC loaded at run time, no NVRTC found now so the compile-only tests "
      "skip (pip install nvidia-cuda-nvrtc, or run tools/bootstrap.sh)")
  endif()
else()
  thunder_summary("cuda executor" "off" "THUNDER_WITH_CUDA=OFF")
endif()

if(THUNDER_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(FATAL_ERROR "thunder: GoogleTest not found (libgtest-dev); run tools/bootstrap.sh "
                        "or configure with -DTHUNDER_BUILD_TESTS=OFF")
  endif()
  thunder_summary("GoogleTest" "found" "${GTest_VERSION}")
endif()

# The thunder_cpp Python package's binding: pybind11 (found through `python -m pybind11
# --cmakedir`), the Python headers, and torch's Python library (libtorch_python) for the
# at::Tensor casters. Left out of sanitizer builds: an ASan extension needs libasan preloaded
# into the interpreter.
set(THUNDER_HAVE_PYTHON OFF)
if(THUNDER_WITH_PYTHON AND THUNDER_SANITIZE)
  thunder_summary("Python binding" "off" "not built with THUNDER_SANITIZE")
elseif(THUNDER_WITH_PYTHON)
  find_package(Python COMPONENTS Interpreter Development.Module QUIET)
  set(_missing)
  if(Python_FOUND)
    # Where pybind11 is not installed (the lent GPU machines), the headers torch bundles
    # (the ones its own casters were built with) do; THUNDER_PYBIND11_FROM_TORCH forces them.
    option(THUNDER_PYBIND11_FROM_TORCH "Build the binding with torch's bundled pybind11 headers" OFF)
    if(NOT THUNDER_PYBIND11_FROM_TORCH)
      execute_process(COMMAND "${Python_EXECUTABLE}" -m pybind11 --cmakedir
        OUTPUT_VARIABLE _thunder_pybind11_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_thunder_pybind11_dir)
        find_package(pybind11 CONFIG QUIET HINTS "${_thunder_pybind11_dir}")
      endif()
    endif()
    execute_process(COMMAND "${Python_EXECUTABLE}" -c
      "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"
      OUTPUT_VARIABLE THUNDER_TORCH_LIB_DIR OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    find_library(THUNDER_TORCH_PYTHON_LIBRARY torch_python HINTS "${THUNDER_TORCH_LIB_DIR}"
      NO_DEFAULT_PATH)
    if(pybind11_FOUND)
      set(THUNDER_PYBIND11 "pybind11 ${pybind11_VERSION}")
    elseif(EXISTS "${THUNDER_TORCH_LIB_DIR}/../include/pybind11/pybind11.h")
      set(THUNDER_PYBIND11 "torch's bundled pybind11 headers")
    else()
      list(APPEND _missing "pybind11 (pip install pybind11)")
    endif()
    if(NOT THUNDER_TORCH_PYTHON_LIBRARY)
      list(APPEND _missing "libtorch_python in the torch wheel of ${Python_EXECUTABLE}")
    endif()
  else()
    list(APPEND _missing "Python interpreter and headers (Development.Module)")
  endif()
  if(_missing)
    list(JOIN _missing ", " _missing_text)
    thunder_summary("Python binding" "missing" "${_missing_text}; run tools/bootstrap.sh")
  else()
    set(THUNDER_HAVE_PYTHON ON)
    thunder_summary("Python binding" "found"
      "Python ${Python_VERSION}, ${THUNDER_PYBIND11}, ${THUNDER_TORCH_PYTHON_LIBRARY}")
  endif()
else()
  thunder_summary("Python binding" "off" "THUNDER_WITH_PYTHON=OFF")
endif()

function(thunder_print_summary)
  message(STATUS "")
  message(STATUS "thunder-cpp ${PROJECT_VERSION} configuration (${CMAKE_BUILD_TYPE})")
  foreach(line IN LISTS THUNDER_SUMMARY_LINES)
    string(REPLACE "|" ";" parts "${line}")
    list(GET parts 0 name)
    list(GET parts 1 status)
    list(GET parts 2 detail)
    string(LENGTH "${name}" len)
    math(EXPR pad "16 - ${len}")
    string(REPEAT " " ${pad} spaces)
    message(STATUS "  ${name}${spaces}${status}: ${detail}")
  endforeach()
  message(STATUS "  built           ${THUNDER_BUILT_COMPONENTS}")
  if(NOT THUNDER_HAVE_VULKAN)
    message(STATUS "  not built       spirv executor (needs the Vulkan stack)")
  endif()
  message(STATUS "  sanitizers      ${THUNDER_SANITIZE}   warnings as errors ${THUNDER_WERROR}")
  message(STATUS "")
endfunction()
