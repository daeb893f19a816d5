// Built-in 'nvr' profile data: the real DS-7608NXI-I2 capture from test/fixtures/devices
// (hikvision_next test suite). Device-level answers are kept as captured (RTSP port set to 554);
// per-channel answers are templates that sim/profiles/nvr.ts repeats for N channels. Copied so
// the simulator needs no test data at run time.
import type { FixtureIsapi, XmlDict } from '../../types.ts';

export const nvrData: FixtureIsapi = {
  'System/deviceInfo': {
    response: {
      DeviceInfo: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        deviceName: 'nvr',
        deviceID: '484a3831-3130-0000-0000-000c0000f00e',
        model: 'DS-7608NXI-I2/8P/S',
        serialNumber: 'DS-7608NXI-I0/0P/S0000000000CCRRJ00000000WCVU',
        macAddress: 'e0:44:cf:0b:a7:98',
        firmwareVersion: 'V4.62.210',
        firmwareReleasedDate: 'build 230619',
        encoderVersion: 'V5.0',
        encoderReleasedDate: 'build 230530',
        deviceType: 'NVR',
        telecontrolID: '255',
        hardwareVersion: '0100000092010000',
        decordChannelNums: '8',
        VGANums: '1',
        USBNums: '2',
        auxoutNums: '0',
        regionVersion: 'basic',
      },
    },
  },
  'System/capabilities': {
    response: {
      DeviceCap: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        SysCap: {
          isSupportDst: 'true',
          NetworkCap: {
            isSupportWireless: 'false',
            isSupportWAN: 'false',
            isSupportPPPoE: 'true',
            isSupportBond: 'false',
            isSupport802_1x: 'true',
            isSupportNtp: 'true',
            isSupportFtp: 'false',
            isSupportUpnp: 'true',
            isSupportPNP: 'false',
            isSupportDdns: 'true',
            isSupportHttps: 'true',
            SnmpCap: {
              isSupport: 'true',
            },
            isSupportExtNetCfg: 'true',
            isSupportNetPreviewStrategy: 'false',
            isSupportEZVIZ: 'true',
            GB28181Cap: {
              isSupportGB28181Service: 'false',
            },
            VerificationCodeModification: {
              '@opt': 'true,false',
              verificationCodeType: {
                '@opt': 'normal,empty',
                '#text': 'normal',
              },
              isSupportDeclarationURL: 'true',
              isSupportPrivacyPolicyURL: 'true',
              verificationCodeModify: 'true',
              Hyperlinks: {
                declarationURL: 'https://www.hik-connect.com/views/terms/termsofservice.html',
                privacyPolicyURL: 'https://www.hik-connect.com/views/terms/privacypolicy.html',
              },
              isSupportVerificationCodeCheck: 'true',
            },
            isSupportIntegrate: 'true',
            isSupportEZVIZTiming: 'true',
            isSupportResourceStatistics: 'true',
            isSupportBandwidthLimit: 'true',
            isSupportPOEPortsDisableAdaptiveServer: 'true',
            isSupportPOEConfiguration: 'true',
            isSupportGetLinkSocketIP: 'true',
            isSupportWebSocket: 'true',
            isSupportEventDataOverWebSocket: 'true',
            Adaption: {
              streamType: {
                '@opt': '3',
              },
              isSupportPlayback: 'true',
            },
          },
          IOCap: {
            IOInputPortNums: '4',
            IOOutputPortNums: '1',
            SoftIOInputPortNums: '8',
            isSupportIOOutputAdvanceParameter: 'true',
            isSupportCombinationAlarm: 'true',
            isSupportSetAllIOOutput: 'true',
            enabledIOOutputPortNums: '0',
            isSupportAlarmKeyParam: 'true',
          },
          SerialCap: {
            rs485PortNums: '0',
            supportRS232Config: 'false',
            rs422PortNums: '0',
            rs232PortNums: '0',
            isSupportAuthenticationService: 'true',
          },
          VideoCap: {
            videoInputPortNums: '0',
            videoOutputPortNums: '3',
            menuNums: '2',
            isSupportHeatmap: 'true',
            isSupportCounting: 'true',
            countingType: 'human',
            isSupportOutputsResource: 'true',
            isSupportMultiChannelCounting: 'true',
            isSupportCountingCollection: 'true',
            isSupportHeatmapCollection: 'true',
            channelFlexible: {
              '@opt': 'name,online,linknum',
            },
            isSupportMixedChannel: 'true',
            isSupportMixedChannelStatus: 'true',
          },
          AudioCap: {
            audioInputNums: '1',
            audioOutputNums: '1',
          },
          isSupportHolidy: 'true',
          RebootConfigurationCap: {
            ONVIF: 'true',
            RTSP: 'true',
            HTTP: 'true',
          },
          isSupportSubscribeEvent: 'true',
          isSupportDiagnosedData: 'true',
          isSupportChangedUpload: 'true',
          isSupportGettingWorkingStatus: 'true',
          isSupportGettingChannelInfoByCondition: 'true',
          isSupportDiagnosedDataParameter: 'true',
          isSupportTimeCap: 'true',
        },
        voicetalkNums: '2',
        isSupportSnapshot: 'true',
        SecurityCap: {
          supportUserNums: '32',
          userBondIpNums: '1',
          userBondMacNums: '1',
          securityVersion: {
            '@opt': '1',
          },
          keyIterateNum: '100',
          isSupportUserCheck: 'true',
          isSupportGetOnlineUserListSC: 'true',
          isSupportONVIFUserManagement: 'true',
          WebCertificateCap: {
            CertificateType: {
              '@opt': 'digest,digest/basic',
              '#text': 'digest',
            },
            SecurityAlgorithm: {
              algorithmType: {
                '@opt': 'MD5,SHA256,MD5/SHA256',
              },
            },
          },
          isSupportConfigFileImport: 'true',
          isSupportConfigFileExport: 'true',
          cfgFileSecretKeyLenLimit: {
            '@min': '1',
            '@max': '16',
          },
          isSupportPictureURlCertificate: {
            '@opt': 'true,false',
            '#text': 'true',
          },
          isSupportUnloggedUserPermissionConfig: {
            '@opt': 'true,false',
            '#text': 'true',
          },
          isSupportUserNamePasswordCheckUpgrade: 'true',
          isSupportDeviceCertificatesManagement: 'true',
          isSupportDeviceSelfSignCertExport: 'true',
        },
        EventCap: {
          isSupportHDFull: 'true',
          isSupportHDError: 'true',
          isSupportNicBroken: 'true',
          isSupportIpConflict: 'true',
          isSupportIllAccess: 'true',
          isSupportViException: 'false',
          isSupportViMismatch: 'false',
          isSupportRecordException: 'true',
          isSupportRaidException: 'false',
          isSupportViResMismatch: 'false',
          isSupportPOCException: 'false',
          isSupportSmartDetection: 'false',
          isSupportSpareException: 'false',
          isSupportHumanRecognition: 'true',
          isSupportFaceContrast: 'true',
          isSupportWhiteListFaceContrast: 'false',
          isSupportStudentsStoodUp: 'true',
          isSupportFaceSnap: 'true',
          isSupportPersonDensityDetection: 'true',
          isSupportPersonQueueDetection: 'true',
          isSupportSafetyHelmetDetection: 'true',
          isSupportTeacherBehaviorDetect: 'true',
          isSupportCityManagement: 'true',
          isSupportMixedTargetDetection: 'true',
          isSupportFaceSnapModeling: 'true',
          isSupportTriggerCapCheck: 'true',
          isSupportPTEventCfg: 'true',
        },
        RacmCap: {
          isSupportZeroChan: 'true',
          inputProxyNums: '8',
          eSATANums: '0',
          miniSASNums: '0',
          nasNums: '8',
          ipSanNums: '8',
          isSupportRaid: 'false',
          isSupportExtHdCfg: 'true',
          isSupportTransCode: 'true',
          isSupportIpcImport: 'true',
          isSupportIpcStreamType: 'true',
          isSupportIOInputProxy: 'true',
          isSupportIOOutputProxy: 'true',
          isSupportPTZRs485Proxy: 'true',
          isSupportSMARTTest: 'true',
          pictureSearchType: {
            '@opt':
              'CMR,MOTION,ALARM,EDR,ALARMANDMOTION,Command,manual,AllEvent,manualSnapShot,playSnapShot,fireDetection,shipsDetection,thermometryAlarm,thermometryDiffAlarm,personQueueCounting,personQueueTime,smokeDetection,smokeAndFireDetection,vehicleDetection,objectsThrownDetection,allPic',
          },
          recordSearchType: {
            '@opt': 'CMR,MOTION,ALARM,EDR,ALARMANDMOTION,Command,manual,AllEvent,POS',
          },
          isSupportActivateIpc: 'true',
          isSupportCheckIpcSecurity: {
            isSupportCheckPassword: 'true',
          },
          isSupportSyncIPCPassword: 'true',
          isSupportTransferIPC: 'true',
          isSupportMainAndSubRecord: 'true',
          isSupportSmartSearch: 'true',
          isSupportPOS: 'true',
          isSupportLinkNum: 'true',
          isSupportStorageExtraInfo: 'true',
          ExternalDevice: {
            USB: {
              debugLogOutput: 'true',
              isSupportCapturePackage: 'true',
              isSupportStreamStorage: 'true',
            },
          },
          customProtocolNums: '8',
          isSupportIPCTiming: 'true',
          isSupportGetBackupDevice: 'true',
          isSupportAutoBackup: 'false',
          certificateValidationEnabled: 'true',
          defaultAdminPortEnabled: 'true',
          isSupportLogDataPackage: 'true',
          CloudStorageServerCap: {
            isSupportCloudStorageParameter: 'true',
            isSupportCloudStoragePool: 'false',
          },
          isSupportWebPrivatePlaybackByUTC: 'true',
          isSupportFindCommonFileByUTC: 'true',
          isSupportFindEventFileByUTC: 'true',
          isSupportSmartSearchRecordByUTC: 'true',
          isSupportMRDSearchByTimeZone: 'true',
          isSupportSearchRecordLabelByUTC: 'true',
          isSupportSearchPictureByUTC: 'true',
          isSupportSmartSearchPictureByUTC: 'true',
          isSupportFindLogByUTC: 'true',
          isSupportUploadRecordByUTC: 'true',
          isSupportPlaybackByUTC: 'true',
          isSupportFaceDetecttionAlarmByTimeZone: 'true',
          isSupportCountingSearchByUTC: 'true',
          isSupportTimeSearch: 'true',
          eventRecordSearch: {
            eventType: {
              '@opt':
                'all,faceSnap,VMD,defocus,scenechangedetection,PIR,fireSmartFireDetect,shipsDetection,TMA,TDA,framesPeopleCounting,personQueueTime,peopleDetection,safetyHelmetDetection,mixedTargetDetection,TMPA,smokeDetection,smokeAndFireDetection,audioexception,ANPR,alarmResult,alarmIn,behavior,posAlarm,IOTD,objectsThrownDetection',
            },
            IOTD: {
              DeviceEventTypeList: {
                DeviceEventType: [
                  {
                    deviceType: '0',
                    subEventType: {
                      '@opt':
                        'any,authenticated,authenticationFailed,openingDoor,closingDoor,doorException,remoteOperation,timeSynchronization,deviceException,deviceRecovered,alarmTriggered,alarmRecovered,callCenter',
                    },
                  },
                  {
                    deviceType: '1',
                    subEventType: {
                      '@opt':
                        'any,tampering,duressAlarm,unlockingByPasswordFailed,unlockingDoorFailed,lockingDoorFailed,intercom,unlockingByPassword,unlockingByDuress,unlockingByCard,unlockingByResident,unlockingByCenter',
                    },
                  },
                  {
                    deviceType: '3',
                    subEventType: {
                      '@opt': 'any,pirDetection,tampering,lowlightDetection,timer,temperature',
                    },
                  },
                  {
                    deviceType: '4',
                    subEventType: {
                      '@opt': 'any,pirDetection,pirTamper,cloak,shock,failure,move,batteryLow',
                    },
                  },
                  {
                    deviceType: '5',
                    subEventType: {
                      '@opt':
                        'any,pcFn,pcFr,pcNr,pcCr,tcTa,tcAm,tcAr,tcDq,tcSo,tcTr,tcFa,pcA1,pcA2,pcB1,pcB2,pcA11,pcA12,pcA22,pcA21,pcB11,pcB12,pcB22,pcB21',
                    },
                  },
                  {
                    deviceType: '2',
                    subEventType: {
                      '@opt':
                        'any,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32',
                    },
                  },
                ],
              },
            },
          },
          securityLogServer: {
            isSupportLogServer: 'true',
          },
          isSupportRecordSearchByTargetType: 'true',
          isSupportSpare: 'false',
          isSupportPTEventTableTemplate: 'false',
          isSupportPTEventTableFile: 'false',
          diskGroupNums: '16',
          isSupportDownloadAudio: 'true',
          isSupportAudioDailyDistribution: 'true',
          isSupportAudioChanCap: 'true',
        },
        PTZCtrlCap: {
          isSupportPatrols: 'true',
        },
        SmartCap: {
          isSupportROI: 'false',
          isSupportFaceDetect: 'true',
          isSupportIntelliTrace: 'false',
          isSupportFieldDetection: 'true',
          isSupportDefocusDetection: 'true',
          isSupportAudioDetection: 'true',
          isSupportSceneChangeDetection: 'true',
          isSupportLineDetection: 'true',
          isSupportRegionEntrance: 'true',
          isSupportRegionExiting: 'true',
          isSupportLoitering: 'true',
          isSupportGroup: 'true',
          isSupportRapidMove: 'true',
          isSupportParking: 'true',
          isSupportUnattendedBaggage: 'true',
          isSupportAttendedBaggage: 'true',
          isSupportShield: 'true',
          isSupportAnalysisUnitSwitch: 'true',
          isSupportSmartCalibration: 'true',
          isSupportShipsDetection: 'true',
          isSupportDetectionDistance: 'false',
        },
        isSupportEhome: 'true',
        isSupportStreamingEncrypt: 'true',
        TestCap: {
          isSupportEmailTest: 'true',
        },
        ThermalCap: {
          isSupportFireDetection: 'true',
          isSupportThermometry: 'true',
          isSupportRealtimeThermometry: 'true',
          isSupportNVR: 'true',
          isSupportThermometrySchedule: 'true',
          isSupportTemperatureSchedule: 'true',
          isSupportFireDetectionSchedule: 'true',
          isSupportTemperatureCollection: 'true',
        },
        isSupportGetmutexFuncErrMsg: 'false',
        isSupportTokenAuthenticate: ['true', 'true'],
        isSupportStreamDualVCA: 'true',
        isSupportIntelligentAnalysisEngines: 'true',
        isSupportChannelEventCap: 'true',
        isSupportEncryption: 'true',
        isSupportSSDFileSystemUpgrade: 'false',
        isSupportSSDFileSystemFormat: 'true',
        isSupportSSDFileSystemCapacity: 'true',
        isSupportCameraAccessConfiguration: 'true',
        isSupportIntelligentSearch: 'true',
        isSupportRtspOverHTTPS: 'true',
        isSupportIntersectionAnalysis: 'true',
        isSupportChannelFullEventListCap: 'true',
        isSupportAUXInfoCap: 'true',
        IOTCap: {
          supportChannelNum: '4',
          startChannelNo: '1',
        },
        isSupportShipsDetectionWithScene: 'true',
        isSupportObjectsThrownDetection: 'true',
        isSupportPictureServer: 'true',
        SHMCap: {
          isSupportHighHDTemperature: 'true',
          isSupportLowHDTemperature: 'true',
          isSupportHDImpact: 'true',
          isSupportHDBadBlock: 'true',
          isSupportSevereHDFailure: 'true',
        },
        isSupportInputProxyDeviceInfo: 'true',
        isSupportLogException: 'true',
        isSupportISUPHttpPassthrough: 'true',
        isSupportCityCode: 'true',
        diskGroupNums: '16',
        isSupportStreamRecordStatus: ['false', 'false'],
        isSupportTimeTypeSTD: 'true',
        isSupportAudioRecordPlan: 'true',
        isSupportAudioDailyDistribution: 'true',
        isSupportProxyAIOP: 'true',
      },
    },
  },
  'System/IO/inputs/1/status': {
    response: {
      IOPortStatus: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        ioPortID: '1',
        ioPortType: 'input',
        ioState: 'inactive',
      },
    },
  },
  'System/IO/outputs/1/status': {
    response: {
      IOPortStatus: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        ioPortID: '1',
        ioPortType: 'output',
        ioState: 'inactive',
      },
    },
  },
  'System/Video/inputs/channels': {
    status_code: 403,
  },
  'ContentMgmt/Storage': {
    response: {
      storage: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        hddList: {
          hdd: {
            id: '1',
            hddName: 'hdd1',
            hddPath: null,
            hddType: 'SATA',
            status: 'ok',
            capacity: '1907729',
            freeSpace: '0',
            property: 'RW',
            group: '1',
          },
        },
        nasList: null,
        workMode: {
          '@opt': 'group,quota',
          '#text': 'quota',
        },
        ssdList: null,
      },
    },
  },
  'Security/adminAccesses': {
    response: {
      AdminAccessProtocolList: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        AdminAccessProtocol: [
          {
            id: '1',
            enabled: 'true',
            protocol: 'HTTP',
            portNo: '80',
          },
          {
            id: '2',
            enabled: 'true',
            protocol: 'RTSP',
            portNo: '554',
          },
          {
            id: '3',
            enabled: 'true',
            protocol: 'HTTPS',
            redirectToHttps: 'false',
            portNo: '443',
            TLS1_1Enable: 'false',
            TLS1_2Enable: 'true',
          },
          {
            id: '4',
            enabled: 'true',
            protocol: 'DEV_MANAGE',
            portNo: '8000',
          },
          {
            id: '5',
            enabled: 'false',
            protocol: 'WebSocket',
            portNo: '7681',
          },
          {
            id: '6',
            enabled: 'false',
            protocol: 'IOT',
            portNo: '30999',
          },
          {
            id: '7',
            enabled: 'true',
            protocol: 'SDK_OVER_TLS',
            streamOverTls: 'false',
            portNo: '8443',
          },
        ],
      },
    },
  },
  'Event/notification/httpHosts': {
    response: {
      HttpHostNotificationList: {
        '@version': '2.0',
        '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
        HttpHostNotification: {
          id: '1',
          url: '/api/hikvision',
          protocolType: 'HTTP',
          parameterFormatType: 'XML',
          addressingFormatType: 'ipaddress',
          ipAddress: '1.0.0.159',
          portNo: '8123',
          httpAuthenticationMethod: 'none',
          Extensions: {
            '@xmlns': 'urn:selfextension:psiaext-ver10-xsd',
            intervalBetweenEvents: '0',
          },
        },
      },
    },
  },
};

export interface NvrTemplates {
  proxyChannel: XmlDict;
  mainStream: XmlDict;
  subStream: XmlDict;
  motionDetection: XmlDict;
  videoLoss: XmlDict;
  fieldDetection: XmlDict;
  lineDetection: XmlDict;
  triggers: XmlDict[];
}

export const nvrTemplates: NvrTemplates = {
  proxyChannel: {
    id: '1',
    name: 'garden',
    sourceInputPortDescriptor: {
      proxyProtocol: 'HIKVISION',
      addressingFormatType: 'ipaddress',
      ipAddress: '1.0.0.236',
      managePortNo: '8000',
      srcInputPort: '1',
      userName: 'admin',
      connMode: 'plugplay',
      streamType: 'auto',
      model: 'DS-2CD2386G2-IU',
      serialNumber: 'DS-2CD2386G2-IU00000000AAWRK00000001',
      firmwareVersion: 'V5.7.15 build 240201',
      deviceID: null,
    },
    certificateValidationEnabled: 'false',
    defaultAdminPortEnabled: 'true',
    enableAnr: 'false',
    enableTiming: 'true',
    devIndex: '99547530-e306-4229-97b3-a437defc006d',
  },
  mainStream: {
    '@version': '2.0',
    '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
    id: '101',
    channelName: '101',
    enabled: 'true',
    Transport: {
      ControlProtocolList: {
        ControlProtocol: {
          streamingTransport: 'RTSP',
        },
      },
    },
    Video: {
      enabled: 'true',
      videoInputChannelID: '1',
      videoCodecType: 'H.264',
      videoResolutionWidth: '3840',
      videoResolutionHeight: '2160',
      videoQualityControlType: 'VBR',
      fixedQuality: '90',
      vbrUpperCap: '12288',
      vbrLowerCap: '32',
      GovLength: '50',
      maxFrameRate: '0',
      snapShotImageType: 'JPEG',
      SmartCodec: {
        enabled: 'false',
      },
      BPFrameInterval: 'P',
    },
    Audio: {
      enabled: 'false',
      audioInputChannelID: '1',
      audioCompressionType: 'G.711ulaw',
    },
  },
  subStream: {
    '@version': '2.0',
    '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
    id: '102',
    channelName: '102',
    enabled: 'true',
    Transport: {
      ControlProtocolList: {
        ControlProtocol: {
          streamingTransport: 'RTSP',
        },
      },
    },
    Video: {
      enabled: 'true',
      videoInputChannelID: '1',
      videoCodecType: 'H.264',
      videoResolutionWidth: '640',
      videoResolutionHeight: '360',
      videoQualityControlType: 'VBR',
      fixedQuality: '60',
      vbrUpperCap: '256',
      vbrLowerCap: '32',
      GovLength: '40',
      maxFrameRate: '1000',
      snapShotImageType: 'JPEG',
      SmartCodec: {
        enabled: 'false',
      },
      BPFrameInterval: 'P',
    },
    Audio: {
      enabled: 'false',
      audioInputChannelID: '1',
      audioCompressionType: 'G.711ulaw',
    },
  },
  motionDetection: {
    '@version': '2.0',
    '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
    enabled: 'false',
    enableHighlight: 'false',
    samplingInterval: '5',
    startTriggerTime: '1000',
    endTriggerTime: '1000',
    regionType: 'grid',
    Grid: {
      rowGranularity: '18',
      columnGranularity: '22',
    },
    MotionDetectionLayout: {
      sensitivityLevel: '80',
      layout: {
        gridMap:
          'fffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffcfffffc',
        RegionList: {
          Region: {
            id: '1',
            RegionCoordinatesList: {
              RegionCoordinates: [
                {
                  positionX: '1',
                  positionY: '999',
                },
                {
                  positionX: '1000',
                  positionY: '999',
                },
                {
                  positionX: '1000',
                  positionY: '0',
                },
                {
                  positionX: '1',
                  positionY: '0',
                },
              ],
            },
          },
        },
      },
      targetType: 'human,vehicle',
    },
  },
  videoLoss: {
    VideoLoss: {
      '@version': '2.0',
      '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
      enabled: 'true',
    },
  },
  fieldDetection: {
    '@version': '2.0',
    '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
    id: '2',
    enabled: 'false',
    normalizedScreenSize: {
      normalizedScreenWidth: '1000',
      normalizedScreenHeight: '1000',
    },
    FieldDetectionRegionList: {
      '@size': '4',
      FieldDetectionRegion: [
        {
          id: '1',
          sensitivityLevel: '50',
          timeThreshold: '0',
          detectionTarget: 'human,vehicle',
          RegionCoordinatesList: {
            RegionCoordinates: [
              {
                positionX: '0',
                positionY: '758',
              },
              {
                positionX: '998',
                positionY: '819',
              },
              {
                positionX: '998',
                positionY: '2',
              },
              {
                positionX: '1',
                positionY: '0',
              },
            ],
          },
        },
        {
          id: '2',
          sensitivityLevel: '50',
          timeThreshold: '0',
          detectionTarget: 'human',
          RegionCoordinatesList: null,
        },
        {
          id: '3',
          sensitivityLevel: '50',
          timeThreshold: '0',
          detectionTarget: 'human',
          RegionCoordinatesList: null,
        },
        {
          id: '4',
          sensitivityLevel: '50',
          timeThreshold: '0',
          detectionTarget: 'human',
          RegionCoordinatesList: null,
        },
      ],
    },
  },
  lineDetection: {
    '@version': '2.0',
    '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
    id: '2',
    enabled: 'true',
    normalizedScreenSize: {
      normalizedScreenWidth: '1000',
      normalizedScreenHeight: '1000',
    },
    LineItemList: {
      '@size': '4',
      LineItem: [
        {
          id: '1',
          enabled: 'true',
          sensitivityLevel: '50',
          directionSensitivity: 'any',
          CoordinatesList: {
            Coordinates: [
              {
                positionX: '259',
                positionY: '577',
              },
              {
                positionX: '472',
                positionY: '704',
              },
            ],
          },
          detectionTarget: 'human',
        },
        {
          id: '2',
          enabled: 'false',
          sensitivityLevel: '50',
          directionSensitivity: 'any',
          CoordinatesList: {
            Coordinates: [
              {
                positionX: '0',
                positionY: '1000',
              },
              {
                positionX: '0',
                positionY: '1000',
              },
            ],
          },
          detectionTarget: 'human',
        },
        {
          id: '3',
          enabled: 'false',
          sensitivityLevel: '50',
          directionSensitivity: 'any',
          CoordinatesList: {
            Coordinates: [
              {
                positionX: '0',
                positionY: '1000',
              },
              {
                positionX: '0',
                positionY: '1000',
              },
            ],
          },
          detectionTarget: 'human',
        },
        {
          id: '4',
          enabled: 'false',
          sensitivityLevel: '50',
          directionSensitivity: 'any',
          CoordinatesList: {
            Coordinates: [
              {
                positionX: '0',
                positionY: '1000',
              },
              {
                positionX: '0',
                positionY: '1000',
              },
            ],
          },
          detectionTarget: 'human',
        },
      ],
    },
    recogRuleType: 'vectorMode',
  },
  triggers: [
    {
      id: 'IO-1',
      eventType: 'IO',
      inputIOPortID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'IO-2',
      eventType: 'IO',
      inputIOPortID: '2',
      EventTriggerNotificationList: null,
    },
    {
      id: 'IO-3',
      eventType: 'IO',
      inputIOPortID: '3',
      EventTriggerNotificationList: null,
    },
    {
      id: 'IO-4',
      eventType: 'IO',
      inputIOPortID: '4',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-1',
      eventType: 'softIO',
      inputIOPortID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-2',
      eventType: 'softIO',
      inputIOPortID: '2',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-3',
      eventType: 'softIO',
      inputIOPortID: '3',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-4',
      eventType: 'softIO',
      inputIOPortID: '4',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-5',
      eventType: 'softIO',
      inputIOPortID: '5',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-6',
      eventType: 'softIO',
      inputIOPortID: '6',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-7',
      eventType: 'softIO',
      inputIOPortID: '7',
      EventTriggerNotificationList: null,
    },
    {
      id: 'softIO-8',
      eventType: 'softIO',
      inputIOPortID: '8',
      EventTriggerNotificationList: null,
    },
    {
      id: 'IO-301',
      eventType: 'IO',
      dynInputIOPortID: '301',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'VMD-1',
      eventType: 'VMD',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'VMD-2',
      eventType: 'VMD',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'VMD-3',
      eventType: 'VMD',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'tamper-1',
      eventType: 'tamperdetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'tamper-2',
      eventType: 'tamperdetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: null,
    },
    {
      id: 'tamper-3',
      eventType: 'tamperdetection',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: null,
    },
    {
      id: 'videoloss-1',
      eventType: 'videoloss',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'videoloss-2',
      eventType: 'videoloss',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'videoloss-3',
      eventType: 'videoloss',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'fielddetection-1',
      eventType: 'fielddetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-1',
            notificationMethod: 'record',
            dynVideoInputID: '1',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'fielddetection-2',
      eventType: 'fielddetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'fielddetection-3',
      eventType: 'fielddetection',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-3',
            notificationMethod: 'record',
            dynVideoInputID: '3',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'linedetection-1',
      eventType: 'linedetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-1',
            notificationMethod: 'record',
            dynVideoInputID: '1',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'linedetection-2',
      eventType: 'linedetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'linedetection-3',
      eventType: 'linedetection',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'facedetection-1',
      eventType: 'facedetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-1',
          notificationMethod: 'record',
          dynVideoInputID: '1',
        },
      },
    },
    {
      id: 'facedetection-2',
      eventType: 'facedetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'facedetection-3',
      eventType: 'facedetection',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'faceSnap-1',
      eventType: 'faceSnap',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-1',
          notificationMethod: 'record',
          dynVideoInputID: '1',
        },
      },
    },
    {
      id: 'faceSnap-2',
      eventType: 'faceSnap',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'faceSnap-3',
      eventType: 'faceSnap',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'regionEntrance-1',
      eventType: 'regionEntrance',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'regionEntrance-2',
      eventType: 'regionEntrance',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'regionEntrance-3',
      eventType: 'regionEntrance',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: null,
    },
    {
      id: 'regionExiting-1',
      eventType: 'regionExiting',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: null,
    },
    {
      id: 'regionExiting-2',
      eventType: 'regionExiting',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'regionExiting-3',
      eventType: 'regionExiting',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: null,
    },
    {
      id: 'scenechangedetection-1',
      eventType: 'scenechangedetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-1',
            notificationMethod: 'record',
            dynVideoInputID: '1',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'scenechangedetection-2',
      eventType: 'scenechangedetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrast-1',
      eventType: 'faceContrast',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-1',
            notificationMethod: 'record',
            dynVideoInputID: '1',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrast-2',
      eventType: 'faceContrast',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrast-3',
      eventType: 'faceContrast',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-3',
            notificationMethod: 'record',
            dynVideoInputID: '3',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'whiteListFaceContrast-1',
      eventType: 'whiteListFaceContrast',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-1',
          notificationMethod: 'record',
          dynVideoInputID: '1',
        },
      },
    },
    {
      id: 'whiteListFaceContrast-2',
      eventType: 'whiteListFaceContrast',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'whiteListFaceContrast-3',
      eventType: 'whiteListFaceContrast',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'faceContrastSuccess-1',
      eventType: 'faceContrastSuccess',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-1',
            notificationMethod: 'record',
            dynVideoInputID: '1',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrastSuccess-2',
      eventType: 'faceContrastSuccess',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-2',
            notificationMethod: 'record',
            dynVideoInputID: '2',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrastSuccess-3',
      eventType: 'faceContrastSuccess',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'record-3',
            notificationMethod: 'record',
            dynVideoInputID: '3',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
    {
      id: 'faceContrastFailure-1',
      eventType: 'faceContrastFailure',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-1',
          notificationMethod: 'record',
          dynVideoInputID: '1',
        },
      },
    },
    {
      id: 'faceContrastFailure-2',
      eventType: 'faceContrastFailure',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'faceContrastFailure-3',
      eventType: 'faceContrastFailure',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'objectsThrownDetection',
      eventType: 'objectsThrownDetection',
      dynVideoInputChannelID: '1',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-1',
          notificationMethod: 'record',
          dynVideoInputID: '1',
        },
      },
    },
    {
      id: 'objectsThrownDetection',
      eventType: 'objectsThrownDetection',
      dynVideoInputChannelID: '2',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-2',
          notificationMethod: 'record',
          dynVideoInputID: '2',
        },
      },
    },
    {
      id: 'objectsThrownDetection',
      eventType: 'objectsThrownDetection',
      dynVideoInputChannelID: '3',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'record-3',
          notificationMethod: 'record',
          dynVideoInputID: '3',
        },
      },
    },
    {
      id: 'diskfull',
      eventType: 'diskfull',
      EventTriggerNotificationList: null,
    },
    {
      id: 'diskerror',
      eventType: 'diskerror',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'beep',
          notificationMethod: 'beep',
        },
      },
    },
    {
      id: 'nicbroken',
      eventType: 'nicbroken',
      EventTriggerNotificationList: null,
    },
    {
      id: 'ipconflict',
      eventType: 'ipconflict',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'beep',
          notificationMethod: 'beep',
        },
      },
    },
    {
      id: 'illaccess',
      eventType: 'illaccess',
      EventTriggerNotificationList: {
        EventTriggerNotification: {
          id: 'center',
          notificationMethod: 'center',
        },
      },
    },
    {
      id: 'recordingfailure',
      eventType: 'recordingfailure',
      EventTriggerNotificationList: {
        EventTriggerNotification: [
          {
            id: 'beep',
            notificationMethod: 'beep',
          },
          {
            id: 'center',
            notificationMethod: 'center',
          },
        ],
      },
    },
  ],
};
