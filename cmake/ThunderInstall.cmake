# Install rules and the package config, so that a project outside the tree can do
#   find_package(thunder REQUIRED)
#   target_link_libraries(app PRIVATE thunder::thunder)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(_thunder_libraries GLOBAL PROPERTY THUNDER_LIBRARIES)
install(TARGETS ${_thunder_libraries} thunder
  EXPORT thunderTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/thunder"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(THUNDER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/thunder")
install(EXPORT thunderTargets NAMESPACE thunder:: DESTINATION "${THUNDER_CMAKE_DIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/thunderConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/thunderConfig.cmake" INSTALL_DESTINATION "${THUNDER_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/thunderConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/thunderConfig.cmake"
              "${PROJECT_BINARY_DIR}/thunderConfigVersion.cmake"
  DESTINATION "${THUNDER_CMAKE_DIR}")
