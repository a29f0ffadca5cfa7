# NixOS module for vigil, written for Ghaf's IDS VM (see nix/README.md).
#
# Inline (default): the VM forwards the other VMs' traffic; iptables-legacy
# rules send FORWARD to NFQUEUE and vigil gives each packet its verdict.
# Passive: vigil reads a mirrored interface; traffic never waits for it.
#
# The unit mirrors etc/systemd/vigil.service.in: vigil starts as root, opens
# the queue (or interface) and its raw sockets, then switches to cfg.user,
# keeping only CAP_NET_ADMIN inline and no capability passive.
#
# Not evaluated as part of a NixOS system where it was written (no nixpkgs
# there; only parsed, and its logic run against a stub of lib): check it
# with nixos-rebuild build or a Ghaf build before relying on it.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.vigil;
  yaml = pkgs.formats.yaml { };

  configFile = yaml.generate "vigil.yaml" cfg.settings;
  localRulesFile = pkgs.writeText "vigil-local.rules" cfg.localRules;

  # store paths (or absolute paths) of every rule file vigil loads
  allRuleFiles =
    map (f: "${f}") cfg.ruleFiles
    ++ lib.optional (cfg.localRules != "") "/etc/vigil/rules/local.rules";

  # -q takes 0, 0:3 or 0,2; iptables' NFQUEUE takes one queue or a range
  singleQueue = builtins.match "[0-9]+" cfg.queues != null;
  queueRange = builtins.match "[0-9]+:[0-9]+" cfg.queues != null;
  queueTarget =
    if queueRange then "--queue-balance ${cfg.queues}" else "--queue-num ${cfg.queues}";

  ipt = "${pkgs.iptables}/bin/iptables-legacy -w";

  # Same rules as etc/qubes-firewall-user-script.  The mark (0x1) is vigil's
  # default nfq.bypass-mark / nfq.bypass-mask.  The two FORWARD rules live in
  # their own chain, flushed and refilled at every firewall start, so that a
  # change of queues or failOpen leaves no stale NFQUEUE rule behind; the
  # jumps are added only when missing (-C), so a firewall reload is
  # idempotent.  The jump is inserted first in FORWARD: packets vigil
  # accepts skip later rules of the legacy filter table.
  nfqueueStart = ''
    # vigil: NFQUEUE
    ${ipt} -t mangle -C PREROUTING -j CONNMARK --restore-mark --mask 0x1 2>/dev/null ||
      ${ipt} -t mangle -I PREROUTING -j CONNMARK --restore-mark --mask 0x1
    ${ipt} -N vigil-forward 2>/dev/null || true
    ${ipt} -F vigil-forward
    ${ipt} -A vigil-forward -m mark --mark 0x1/0x1 -j ACCEPT
    ${ipt} -A vigil-forward -j NFQUEUE ${queueTarget}${lib.optionalString cfg.failOpen " --queue-bypass"}
    ${ipt} -C FORWARD -j vigil-forward 2>/dev/null ||
      ${ipt} -I FORWARD 1 -j vigil-forward
    ${ipt} -t mangle -C POSTROUTING -m mark --mark 0x1/0x1 -j CONNMARK --save-mark --mask 0x1 2>/dev/null ||
      ${ipt} -t mangle -A POSTROUTING -m mark --mark 0x1/0x1 -j CONNMARK --save-mark --mask 0x1
  '';

  nfqueueStop = ''
    # vigil: NFQUEUE
    ${ipt} -D FORWARD -j vigil-forward 2>/dev/null || true
    ${ipt} -F vigil-forward 2>/dev/null || true
    ${ipt} -X vigil-forward 2>/dev/null || true
    ${ipt} -t mangle -D PREROUTING -j CONNMARK --restore-mark --mask 0x1 2>/dev/null || true
    ${ipt} -t mangle -D POSTROUTING -m mark --mark 0x1/0x1 -j CONNMARK --save-mark --mask 0x1 2>/dev/null || true
  '';

  modeArgs =
    if cfg.mode == "inline" then [ "-q" cfg.queues ] else [ "-i" (toString cfg.interface) ];
in
{
  options.services.vigil = {
    enable = lib.mkEnableOption "vigil, the intrusion detection and prevention system";

    package = lib.mkPackageOption pkgs "vigil" { };

    mode = lib.mkOption {
      type = lib.types.enum [ "inline" "passive" ];
      default = "inline";
      description = ''
        `inline`: vigil reads the forwarded traffic from NFQUEUE (`-q`); drop
        and reject rules take effect.  `passive`: vigil captures on
        {option}`services.vigil.interface` (`-i`), a mirrored port; drop and
        reject rules only alert.
      '';
    };

    queues = lib.mkOption {
      type = lib.types.str;
      default = "0";
      example = "0:1";
      description = ''
        NFQUEUE numbers for inline mode, passed as `-q`: one queue (`0`), a
        range (`0:3`) or a list (`0,2`); one worker per queue.  With
        {option}`services.vigil.nfqueueRules`, only one queue or a range
        (iptables `--queue-balance`) is possible.
      '';
    };

    interface = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "eth1";
      description = "Interface to capture on in passive mode (`-i`).";
    };

    failOpen = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Fail-open: the NFQUEUE rule gets `--queue-bypass`, so traffic passes
        uninspected while vigil is not running, and `nfq.fail-open` is set so
        that packets beyond a full queue pass too.  With `false`, all
        forwarded traffic is dropped while vigil is stopped or restarting, and
        packets beyond a full queue are dropped.  See docs/inline.md.
      '';
    };

    homeNet = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "192.168.100.0/24" ];
      description = ''
        Networks (CIDR) of the VMs behind this gateway.  Sets the rule
        variables `HOME_NET` to these and `EXTERNAL_NET` to `!$HOME_NET`.
        Empty: Suricata's default `HOME_NET` (the RFC 1918 networks).
      '';
    };

    settings = lib.mkOption {
      type = lib.types.submodule { freeformType = yaml.type; };
      default = { };
      example = lib.literalExpression ''
        {
          flow.memcap = "64mb";
          stream.reassembly.memcap = "64mb";
          vars.address-groups.DNS_SERVERS = "[192.168.100.1]";
          outputs.eve.types.flow = false;
        }
      '';
      description = ''
        vigil's configuration, written as YAML to /etc/vigil/vigil.yaml
        (`-c`).  The keys are those of docs/configuration.md
        (`vigil --dump-config`), nested as in YAML: `flow.memcap` is
        `flow = { memcap = "64mb"; }`.  Sizes are strings (`"64mb"`),
        booleans are Nix booleans; do not use `null`.  An unknown key stops
        vigil at start with the file and line.  The module sets
        `default-log-dir`, `default-rule-path`, `rule-files`, `nfq.fail-open`
        and, from {option}`services.vigil.homeNet`, `vars.address-groups`
        with `mkDefault`; a value here replaces them.
      '';
    };

    ruleFiles = lib.mkOption {
      type = lib.types.listOf lib.types.path;
      default = [ ];
      example = lib.literalExpression ''[ "''${et-open}/emerging-all.rules" ]'';
      description = ''
        Rule files (Suricata format) to load, as `rule-files`.  Paths in
        the Nix store, or absolute paths vigil reads at start (a file that is
        missing is reported and skipped, as long as one can be read).
      '';
    };

    localRules = lib.mkOption {
      type = lib.types.lines;
      default = "";
      example = ''
        alert dns any any -> any any (msg:"LOCAL DNS lookup of example.org"; dns.query; content:"example.org"; nocase; endswith; sid:1000001; rev:1;)
      '';
      description = ''
        Rules written to /etc/vigil/rules/local.rules and loaded after
        {option}`services.vigil.ruleFiles`.  A change reloads the rules
        (SIGUSR2) instead of restarting vigil.
      '';
    };

    extraArgs = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "-v" "--set" "nfq.busy-poll-us=3000" ];
      description = "Extra command-line arguments for vigil (see `vigil --help`).";
    };

    user = lib.mkOption {
      type = lib.types.str;
      default = "vigil";
      description = ''
        User vigil switches to once its queues and sockets are open
        (`--user`).  The module creates it when left at `vigil`.
      '';
    };

    group = lib.mkOption {
      type = lib.types.str;
      default = "vigil";
      description = ''
        Group vigil switches to (`--group`).  The module creates it when left
        at `vigil`.
      '';
    };

    logDir = lib.mkOption {
      type = lib.types.str;
      default = "/var/log/vigil";
      description = "Directory for eve.json and fast.log (`default-log-dir`).";
    };

    nfqueueRules = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        In inline mode, add the iptables-legacy rules that send forwarded
        traffic to vigil's queue, through
        {option}`networking.firewall.extraCommands`: mangle PREROUTING
        `CONNMARK --restore-mark --mask 0x1`; FORWARD: packets marked
        `0x1/0x1` (flows vigil has finished with) accepted, the rest to
        `NFQUEUE` (with `--queue-bypass` when
        {option}`services.vigil.failOpen`); mangle POSTROUTING
        `CONNMARK --save-mark --mask 0x1`.  They are removed by
        {option}`networking.firewall.extraStopCommands`.  Needs the
        iptables-based NixOS firewall.  Set to `false` to write your own.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.mode != "passive" || cfg.interface != null;
        message = "services.vigil: mode = \"passive\" needs services.vigil.interface.";
      }
      {
        assertion = cfg.mode != "inline" || !cfg.nfqueueRules || singleQueue || queueRange;
        message = ''
          services.vigil: with nfqueueRules, queues must be one queue ("0") or
          a range ("0:3"); got "${cfg.queues}".  Set nfqueueRules = false and
          write the NFQUEUE rules yourself for a list.
        '';
      }
      {
        assertion = cfg.mode != "inline" || !cfg.nfqueueRules
          || (config.networking.firewall.enable && !config.networking.nftables.enable);
        message = ''
          services.vigil: nfqueueRules adds its rules through
          networking.firewall.extraCommands, which needs the iptables-based
          firewall (networking.firewall.enable = true, networking.nftables.enable
          = false).  Otherwise set nfqueueRules = false and add the rules of
          etc/qubes-firewall-user-script yourself.
        '';
      }
    ];

    warnings = lib.optional (allRuleFiles == [ ])
      "services.vigil: no ruleFiles and no localRules: vigil inspects traffic but has no rule to alert on.";

    services.vigil.settings = {
      default-log-dir = lib.mkDefault cfg.logDir;
      default-rule-path = lib.mkDefault "/var/lib/vigil/rules";
      rule-files = lib.mkIf (allRuleFiles != [ ]) (lib.mkDefault allRuleFiles);
      nfq.fail-open = lib.mkDefault cfg.failOpen;
      vars.address-groups = lib.mkIf (cfg.homeNet != [ ]) {
        HOME_NET = lib.mkDefault "[${lib.concatStringsSep "," cfg.homeNet}]";
        EXTERNAL_NET = lib.mkDefault "!$HOME_NET";
      };
    };

    environment.etc."vigil/vigil.yaml".source = configFile;
    environment.etc."vigil/rules/local.rules" = lib.mkIf (cfg.localRules != "") {
      source = localRulesFile;
    };

    # `vigil -T -c /etc/vigil/vigil.yaml`, `vigil --dump-config` at hand
    environment.systemPackages = [ cfg.package ];

    users.users = lib.mkIf (cfg.user == "vigil") {
      vigil = {
        isSystemUser = true;
        group = cfg.group;
        description = "vigil IDS";
      };
    };
    users.groups = lib.mkIf (cfg.group == "vigil") { vigil = { }; };

    # The NFQUEUE netlink family, loaded at boot: Ghaf's kernel needs it
    # listed, and vigil's unit may not load modules (ProtectKernelModules).
    boot.kernelModules = lib.mkIf (cfg.mode == "inline") [ "nfnetlink_queue" ];

    networking.firewall.extraCommands = lib.mkIf (cfg.mode == "inline" && cfg.nfqueueRules) nfqueueStart;
    networking.firewall.extraStopCommands = lib.mkIf (cfg.mode == "inline" && cfg.nfqueueRules) nfqueueStop;

    # the log directory belongs to the run-as user: vigil opens its logs as
    # root, hands them to that user, and reopens them as that user after
    # SIGHUP (rotation).  Not LogsDirectory=, which would give the directory
    # to the unit's user (root) at every start.
    systemd.tmpfiles.rules = [ "d ${cfg.logDir} 0750 ${cfg.user} ${cfg.group} -" ];

    systemd.services.vigil = {
      description = "vigil intrusion detection and prevention (${cfg.mode})";
      documentation = [ "man:vigil(8)" ];
      wantedBy = [ "multi-user.target" ];
      # inline: up before the network, as etc/systemd/vigil.service;
      # passive: after it, so the interface exists
      after = if cfg.mode == "inline" then [ "network-pre.target" ] else [ "network.target" ];
      before = lib.mkIf (cfg.mode == "inline") [ "network.target" ];
      # a new configuration restarts vigil; new local rules only reload them
      restartTriggers = [ configFile ];
      reloadTriggers = lib.optional (cfg.localRules != "") localRulesFile;

      serviceConfig = {
        Type = "simple";
        ExecStart = lib.concatStringsSep " " (
          [ "${cfg.package}/bin/vigil" "-c" "/etc/vigil/vigil.yaml" ]
          ++ map lib.escapeShellArg modeArgs
          ++ [ "--user" (lib.escapeShellArg cfg.user) "--group" (lib.escapeShellArg cfg.group) ]
          ++ map lib.escapeShellArg cfg.extraArgs
        );
        ExecReload = "${pkgs.coreutils}/bin/kill -USR2 $MAINPID";
        Restart = "on-failure";
        RestartSec = 1;
        # rules fetched at run time (vigil-update) go here; vigil only reads them
        StateDirectory = "vigil";
        CapabilityBoundingSet = [ "CAP_NET_ADMIN" "CAP_NET_RAW" "CAP_SETUID" "CAP_SETGID" ];
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        ReadWritePaths = [ cfg.logDir ];
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectControlGroups = true;
        # passive capture (libpcap) needs AF_PACKET
        RestrictAddressFamilies = [ "AF_NETLINK" "AF_INET" "AF_INET6" "AF_UNIX" ]
          ++ lib.optional (cfg.mode == "passive") "AF_PACKET";
        MemoryMax = "384M";
      };
    };
  };
}
