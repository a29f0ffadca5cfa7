/*
 * doh_list.h - the public DNS-over-HTTPS endpoints vigil knows without
 * being told (policy.doh-list adds more): names of the big public
 * resolvers' DoH services and the anycast addresses that serve DoH on 443.
 * A VM with a policy that reaches one of them while policy.resolvers is
 * set is sending DNS past the configured resolvers.  Sources: the
 * providers' own documentation (Google, Cloudflare, Quad9, AdGuard,
 * OpenDNS, NextDNS, CleanBrowsing, Mullvad, Control D, Alibaba, DNSPod,
 * DNS0.EU, DNS.SB), and the curl project's list of public DoH servers.
 */
#ifndef VIGIL_DOH_LIST_H
#define VIGIL_DOH_LIST_H

static const char doh_builtin[] =
	/* names: exact, or *.name for a provider's per-customer names */
	"dns.google\n" "dns.google.com\n" "8888.google\n"
	"cloudflare-dns.com\n" "*.cloudflare-dns.com\n" "one.one.one.one\n"
	"dns.quad9.net\n" "dns9.quad9.net\n" "dns10.quad9.net\n" "dns11.quad9.net\n"
	"dns.adguard.com\n" "dns.adguard-dns.com\n" "*.dns.adguard-dns.com\n" "dns-unfiltered.adguard.com\n"
	"doh.opendns.com\n" "doh.familyshield.opendns.com\n"
	"dns.nextdns.io\n" "*.dns.nextdns.io\n"
	"doh.cleanbrowsing.org\n"
	"dns.mullvad.net\n" "*.dns.mullvad.net\n" "doh.mullvad.net\n"
	"dns.controld.com\n" "freedns.controld.com\n"
	"dns.alidns.com\n" "doh.pub\n" "doh.360.cn\n"
	"dns0.eu\n" "*.dns0.eu\n" "doh.dns.sb\n" "doh.libredns.gr\n" "ordns.he.net\n"
	"doh.applied-privacy.net\n" "dns.digitale-gesellschaft.ch\n"
	/* addresses that answer DoH on 443 */
	"8.8.8.8\n" "8.8.4.4\n" "2001:4860:4860::8888\n" "2001:4860:4860::8844\n"
	"1.1.1.1\n" "1.0.0.1\n" "2606:4700:4700::1111\n" "2606:4700:4700::1001\n"
	"1.1.1.2\n" "1.0.0.2\n" "1.1.1.3\n" "1.0.0.3\n"
	"9.9.9.9\n" "149.112.112.112\n" "2620:fe::fe\n" "2620:fe::9\n" "9.9.9.11\n"
	"94.140.14.14\n" "94.140.15.15\n" "2a10:50c0::ad1:ff\n" "2a10:50c0::ad2:ff\n"
	"208.67.222.222\n" "208.67.220.220\n" "2620:119:35::35\n" "2620:119:53::53\n"
	"45.90.28.0/24\n" "45.90.30.0/24\n"
	"185.228.168.9\n" "185.228.169.9\n"
	"194.242.2.2\n" "2a07:e340::2\n"
	"76.76.2.0\n" "76.76.10.0\n"
	"223.5.5.5\n" "223.6.6.6\n" "1.12.12.12\n" "120.53.53.53\n"
	"193.110.81.0\n" "185.253.5.0\n" "185.222.222.222\n" "45.11.45.11\n";

#endif
