/* A live network interface through libpcap: frames are captured from it and
 * injected into it.  Used on a real NIC, or (in tests) on one end of a veth
 * pair whose other end the kernel owns.
 *
 * The stack uses a MAC of its own, not the interface's, so the kernel's own
 * stack on that interface ignores our traffic; the interface is put in
 * promiscuous mode to see frames addressed to it.  Once the stack's MAC is
 * known (set_mac, done by the runner) a BPF filter keeps only frames for that
 * MAC, broadcast, multicast and ARP; before that every incoming frame passes.
 * Only incoming frames are captured (not our own injections).
 *
 * On a veth (or any virtual interface) whose peer is the local kernel, turn
 * transmit checksum offload off on the kernel's end (`ethtool -K DEV tx off`):
 * otherwise its UDP/TCP frames arrive with checksums left partial for a NIC
 * to finish, and the stack rightly drops them.  Frames off a real wire are
 * complete.
 */
#ifndef TAPIR_DRIVERS_PCAP_DEV_H
#define TAPIR_DRIVERS_PCAP_DEV_H

#include "drivers/device.h"

/* NULL on failure, with a libpcap message in err (PCAP_ERRBUF_SIZE = 256). */
struct tapir_device *tapir_pcap_open(const char *ifname, char err[256]);

#endif
