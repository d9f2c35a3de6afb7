# Debian packages with CPack (cpack -G DEB, as scripts/package runs it): the "tools"
# component is clm-tools, the "server" component clm-server. Dependencies come from
# dpkg-shlibdeps; maintainer scripts and conffiles from packaging/debian/PACKAGE/.
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL tools server)
set(CPACK_PACKAGE_NAME clm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package has a synopsis of its own: the first line of CPACK_DEBIAN_<COMP>_DESCRIPTION.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY IGNORE)
set(CPACK_PACKAGE_CONTACT "clm developers <clm-devel@example.com>")
set(CPACK_PACKAGE_VENDOR "clm developers")
# The packages install where CMake installs: configure with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/package does) for /usr/bin, /etc/clm and /lib/systemd/system.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(clm_debian ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME clm-tools)
# The first line is the synopsis, the rest the extended description.
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "credential lifecycle tools: IDs, certificates and keys from clm-server
clm-id, clm-cert, clm-key, clm-keyget, clm-verify and clm-device talk to a
CLM WebAPI server over HTTPS and pipe JSON into each other, for shell
pipelines, cron, systemd timers and Ansible. SWCLMCLIENT and SWCLMKEYGET
keep the original commands' syntax and output. The package carries timers
that renew certificates and rotate keys when they are due.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_CONTROL_EXTRA "${clm_debian}/clm-tools/conffiles")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "clm-server")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME clm-server)
set(CPACK_DEBIAN_SERVER_DESCRIPTION
    "CLM WebAPI server: IDs, certificates and keys over HTTPS
clm-server implements the CLM WebAPI with a CA of its own, an embedded
SQLite store or PostgreSQL to scale out, fleet administration (device
lifecycle, groups, a dashboard) and Prometheus metrics. It runs as the clm
user under a hardened systemd unit.")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "clm-tools")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${clm_debian}/clm-server/conffiles;${clm_debian}/clm-server/postinst;${clm_debian}/clm-server/prerm;${clm_debian}/clm-server/postrm")

include(CPack)
